import { Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditLog } from '@zhengming/audit';
import {
  IdentityErrorCode,
  IdentityException,
  SessionsService,
  StaffService,
  VerifiersService,
  hasRole,
  type Principal,
} from '@zhengming/identity';
import { ACCESS_POLICY, type AccessPolicy, type RequestWithPrincipal } from './access';
import { RateLimits } from './rate-limits';
import { ACCESS_COOKIE } from './cookies';

export const API_KEY_HEADER = 'x-api-key';
/**
 * Refusals that look like guessing and count towards an address's limit. An expired token does not:
 * every web session meets one every quarter of an hour and simply refreshes.
 */
export const GUESSING: ReadonlySet<string> = new Set([
  IdentityErrorCode.TokenInvalid,
  IdentityErrorCode.ApiKeyInvalid,
  IdentityErrorCode.LoginFailed,
]);
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Header the web app sends with cookie-authenticated writes; a cross-site form cannot set it. */
export const CSRF_HEADER = 'x-requested-with';

/**
 * The one place authorization starts: resolves the caller from a bearer token, the session cookie or
 * an API key, throttles addresses that keep failing, enforces the route's declared policy, and writes
 * every refusal of a presented credential to the audit log.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger(AccessGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    private readonly staff: StaffService,
    private readonly verifiers: VerifiersService,
    private readonly limits: RateLimits,
    private readonly audit: AuditLog,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!policy)
      throw new Error(`route ${context.getClass().name}.${context.getHandler().name} declares no access policy`);
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    if (policy.kind === 'public') return true;

    const client = request.ip;
    const throttle = await this.limits.failuresAllowed(client);
    if (!throttle.allowed) {
      throw new IdentityException(IdentityErrorCode.RateLimited, { retryAfterSeconds: throttle.retryAfterSeconds });
    }
    try {
      request.principal = await this.resolve(request, policy);
    } catch (error) {
      if (error instanceof IdentityException && error.code !== IdentityErrorCode.AuthRequired) {
        if (GUESSING.has(error.code)) await this.limits.recordFailure(client);
        await this.record(request, { kind: 'anonymous' }, 'auth.rejected', error.code);
      }
      throw error;
    }
    const principal = request.principal;
    const allowed =
      policy.kind === 'signed-in'
        ? principal.kind === 'person'
        : policy.kind === 'staff'
          ? hasRole(principal, policy.roles)
          : principal.kind === 'institution';
    if (!allowed) {
      await this.record(request, principal, 'auth.denied', IdentityErrorCode.Forbidden);
      throw new IdentityException(IdentityErrorCode.Forbidden);
    }
    return true;
  }

  private async resolve(request: RequestWithPrincipal, policy: AccessPolicy): Promise<Principal> {
    const apiKey = request.headers[API_KEY_HEADER];
    if (typeof apiKey === 'string' && apiKey) {
      const { key, institution } = await this.verifiers.authenticate(apiKey);
      const limit = await this.limits.consumeKey(key.id, key.rateLimitPerMinute);
      if (!limit.allowed) {
        throw new IdentityException(IdentityErrorCode.ApiKeyRateLimited, {
          retryAfterSeconds: limit.retryAfterSeconds,
        });
      }
      void this.verifiers.touch(key.id).catch(() => undefined);
      return { kind: 'institution', institutionId: institution.id, keyId: key.id, sector: institution.sector };
    }
    const authorization = request.headers.authorization;
    let token: string | undefined;
    let fromCookie = false;
    if (authorization) {
      const match = /^Bearer ([^\s]+)$/i.exec(authorization);
      if (!match) throw new IdentityException(IdentityErrorCode.TokenInvalid);
      token = match[1];
    } else {
      token = request.cookies?.[ACCESS_COOKIE];
      fromCookie = token !== undefined;
    }
    if (!token) {
      throw new IdentityException(
        policy.kind === 'verifier' ? IdentityErrorCode.ApiKeyInvalid : IdentityErrorCode.AuthRequired,
      );
    }
    if (fromCookie && UNSAFE_METHODS.has(request.method) && !request.headers[CSRF_HEADER]) {
      throw new IdentityException(IdentityErrorCode.CsrfRejected);
    }
    const { sessionId, personId } = await this.sessions.authenticate(token);
    return { kind: 'person', personId, sessionId, roles: await this.staff.rolesOf(personId) };
  }

  private async record(request: RequestWithPrincipal, principal: Principal, action: string, code: string) {
    try {
      await this.audit.append({
        actor:
          principal.kind === 'person'
            ? { type: 'person', id: principal.personId }
            : principal.kind === 'institution'
              ? { type: 'institution', id: principal.institutionId }
              : { type: 'anonymous' },
        action,
        outcome: 'denied',
        requestId: request.id,
        details: { method: request.method, route: request.routeOptions.url ?? null, code },
      });
    } catch (error) {
      // A refusal stays a refusal even if the audit write fails; the failure itself is logged.
      this.logger.error({ err: error }, 'could not audit an authorization failure');
    }
  }
}
