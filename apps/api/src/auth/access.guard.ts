import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  IdentityErrorCode,
  IdentityException,
  SessionsService,
  StaffService,
  VerifiersService,
  hasRole,
  type Principal,
} from '@zhengming/identity';
import { EnterpriseSealsService } from '@zhengming/enterprises';
import { ACCESS_POLICY, type AccessPolicy, type RequestWithPrincipal } from './access';
import { RateLimits, type LimitOutcome } from './rate-limits';
import { AccessAudit } from './access-audit';
import { ACCESS_COOKIE } from './cookies';

export const API_KEY_HEADER = 'x-api-key';
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
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    private readonly staff: StaffService,
    private readonly verifiers: VerifiersService,
    private readonly limits: RateLimits,
    private readonly accessAudit: AccessAudit,
    private readonly enterprises: EnterpriseSealsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!policy)
      throw new Error(`route ${context.getClass().name}.${context.getHandler().name} declares no access policy`);
    await this.authorize(context.switchToHttp().getRequest<RequestWithPrincipal>(), policy);
    return true;
  }

  /**
   * Enforces the policy on one request and leaves the caller in `request.principal` (none for an
   * anonymous caller of a public route): the guard's whole work, also for the route served outside
   * Nest's pipeline (DirectVerificationRoute).
   */
  async authorize(request: RequestWithPrincipal, policy: AccessPolicy): Promise<void> {
    if (policy.kind === 'public') return;
    if (policy.kind === 'public-or-verifier' && !request.headers[API_KEY_HEADER]) return;

    const client = request.ip;
    // A key this process accepted moments ago is no guess: the verifier hot path skips the failure count.
    const apiKey = request.headers[API_KEY_HEADER];
    if (typeof apiKey !== 'string' || !this.verifiers.recentlyAuthenticated(apiKey)) {
      await this.limits.assertMayAuthenticate(client);
    }
    try {
      request.principal = await this.resolve(request, policy);
    } catch (error) {
      if (error instanceof IdentityException && error.code !== IdentityErrorCode.AuthRequired) {
        await this.limits.recordRefusal(client, error.code);
        await this.accessAudit.refused(request, { kind: 'anonymous' }, 'auth.rejected', error.code);
      }
      throw error;
    }
    const principal = request.principal;
    const allowed =
      policy.kind === 'signed-in'
        ? principal.kind === 'person'
        : policy.kind === 'signed-in-or-enterprise'
          ? principal.kind === 'person' || principal.kind === 'enterprise'
          : policy.kind === 'staff'
            ? hasRole(principal, policy.roles)
            : principal.kind === 'institution'; // verifier, or public-or-verifier with a key
    if (!allowed) {
      await this.accessAudit.refused(request, principal, 'auth.denied', IdentityErrorCode.Forbidden);
      throw new IdentityException(IdentityErrorCode.Forbidden);
    }
  }

  /** 429 API_KEY_RATE_LIMITED, with when to come back, for a key that has spent its minute. */
  private refuseOverLimit(limit: LimitOutcome): void {
    if (!limit.allowed) {
      throw new IdentityException(IdentityErrorCode.ApiKeyRateLimited, { retryAfterSeconds: limit.retryAfterSeconds });
    }
  }

  private async resolve(request: RequestWithPrincipal, policy: AccessPolicy): Promise<Principal> {
    const apiKey = request.headers[API_KEY_HEADER];
    if (typeof apiKey === 'string' && EnterpriseSealsService.isEnterpriseKey(apiKey)) {
      const system = await this.enterprises.authenticate(apiKey);
      if (!system) throw new IdentityException(IdentityErrorCode.ApiKeyInvalid);
      this.refuseOverLimit(await this.limits.consumeEnterpriseKey(system.keyId));
      return { kind: 'enterprise', ...system };
    }
    if (typeof apiKey === 'string' && apiKey) {
      const key = await this.verifiers.authenticate(apiKey);
      this.refuseOverLimit(await this.limits.consumeKey(key.keyId, key.rateLimitPerMinute));
      void this.verifiers.touch(key.keyId).catch(() => undefined);
      return { kind: 'institution', institutionId: key.institutionId, keyId: key.keyId, sector: key.sector };
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
}
