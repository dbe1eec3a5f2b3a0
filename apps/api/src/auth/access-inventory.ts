import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ACCESS_POLICY, type AccessPolicy } from './access';

export interface DeclaredRoute {
  controller: string;
  handler: string;
  policy: AccessPolicy | undefined;
}

/**
 * Every route must say who may call it. A controller method without an access policy stops the API
 * from starting, so a forgotten decorator is found by the first test run, not by an attacker.
 */
@Injectable()
export class AccessInventory implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  routes(): DeclaredRoute[] {
    return this.discovery.getControllers().flatMap(({ instance, metatype }) => {
      if (!instance || !metatype) return [];
      const prototype = Object.getPrototypeOf(instance) as Record<string, (...args: unknown[]) => unknown>;
      return this.scanner
        .getAllMethodNames(prototype)
        .filter((name) => Reflect.hasMetadata(PATH_METADATA, prototype[name]))
        .map((name) => ({
          controller: metatype.name,
          handler: name,
          policy: this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, [
            prototype[name],
            metatype,
          ]),
        }));
    });
  }

  onModuleInit(): void {
    const undeclared = this.routes().filter((route) => !route.policy);
    if (undeclared.length > 0) {
      throw new Error(
        `routes without an access policy: ${undeclared.map((r) => `${r.controller}.${r.handler}`).join(', ')}`,
      );
    }
  }
}
