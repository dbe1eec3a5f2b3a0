import { Global, Module, type DynamicModule } from '@nestjs/common';
import { loadRuntimeConfig, type AppConfig } from './app-config';

export const APP_CONFIG = Symbol('APP_CONFIG');
export const HTTP_CONFIG = Symbol('HTTP_CONFIG');
export const DATABASE_CONFIG = Symbol('DATABASE_CONFIG');
export const REDIS_CONFIG = Symbol('REDIS_CONFIG');
export const LOG_CONFIG = Symbol('LOG_CONFIG');
export const PII_CONFIG = Symbol('PII_CONFIG');
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
export const STORAGE_CONFIG = Symbol('STORAGE_CONFIG');
export const MATERIALS_CONFIG = Symbol('MATERIALS_CONFIG');
export const SMS_CONFIG = Symbol('SMS_CONFIG');
export const SIGNING_CONFIG = Symbol('SIGNING_CONFIG');
export const VERIFICATION_CONFIG = Symbol('VERIFICATION_CONFIG');
export const POWER_GRID_CONFIG = Symbol('POWER_GRID_CONFIG');
export const TIMESTAMP_CONFIG = Symbol('TIMESTAMP_CONFIG');
export const ISSUING_CONFIG = Symbol('ISSUING_CONFIG');

/** Provides the validated configuration, one injection token per namespace. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig = loadRuntimeConfig()): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: HTTP_CONFIG, useValue: config.http },
        { provide: DATABASE_CONFIG, useValue: config.database },
        { provide: REDIS_CONFIG, useValue: config.redis },
        { provide: LOG_CONFIG, useValue: config.log },
        { provide: PII_CONFIG, useValue: config.pii },
        { provide: AUTH_CONFIG, useValue: config.auth },
        { provide: STORAGE_CONFIG, useValue: config.storage },
        { provide: MATERIALS_CONFIG, useValue: config.materials },
        { provide: SMS_CONFIG, useValue: config.sms },
        { provide: SIGNING_CONFIG, useValue: config.signing },
        { provide: VERIFICATION_CONFIG, useValue: config.verification },
        { provide: POWER_GRID_CONFIG, useValue: config.powerGrid },
        { provide: TIMESTAMP_CONFIG, useValue: config.timestamp },
        { provide: ISSUING_CONFIG, useValue: config.issuing },
      ],
      exports: [
        APP_CONFIG,
        HTTP_CONFIG,
        DATABASE_CONFIG,
        REDIS_CONFIG,
        LOG_CONFIG,
        PII_CONFIG,
        AUTH_CONFIG,
        STORAGE_CONFIG,
        MATERIALS_CONFIG,
        SMS_CONFIG,
        SIGNING_CONFIG,
        VERIFICATION_CONFIG,
        POWER_GRID_CONFIG,
        TIMESTAMP_CONFIG,
        ISSUING_CONFIG,
      ],
    };
  }
}
