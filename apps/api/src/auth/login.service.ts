import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { AuditLog } from '@zhengming/audit';
import {
  IdentityErrorCode,
  IdentityException,
  LoginRequestEntity,
  PeopleService,
  SessionsService,
  type SessionTokens,
} from '@zhengming/identity';
import { OidcRelyingParty, stateHash } from './oidc-relying-party';

/** How long a sign-in may take at the identity platform before it has to start again. */
const LOGIN_TTL_MS = 10 * 60 * 1000;
const DEFAULT_RETURN_TO = '/me';

/** Only paths of this site: an open redirect would let a phishing link borrow our sign-in page. */
export function safeReturnTo(value: string | undefined): string {
  if (!value || value.length > 512 || !/^\/(?![/\\])[^\s\\]*$/.test(value)) return DEFAULT_RETURN_TO;
  return value;
}

@Injectable()
export class LoginService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly relyingParty: OidcRelyingParty,
    private readonly people: PeopleService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditLog,
  ) {}

  /** Starts a sign-in: where to send the browser, and the state to bind to it. */
  async start(returnTo: string | undefined): Promise<{ redirectTo: string; state: string }> {
    const { url, pending } = await this.relyingParty.authorizationUrl();
    const repository = this.dataSource.getRepository(LoginRequestEntity);
    await repository.delete({ expiresAt: LessThan(new Date()) });
    await repository.insert({
      stateHash: stateHash(pending.state),
      codeVerifier: pending.codeVerifier,
      nonce: pending.nonce,
      returnTo: safeReturnTo(returnTo),
      expiresAt: new Date(Date.now() + LOGIN_TTL_MS),
    });
    return { redirectTo: url.toString(), state: pending.state };
  }

  /**
   * Finishes a sign-in: the pending request is consumed (once), the code exchanged, the person
   * created or updated and a session opened, all or nothing.
   */
  async finish(
    callbackUrl: URL,
    boundState: string | undefined,
    requestId: string,
  ): Promise<{ tokens: SessionTokens; returnTo: string }> {
    const state = callbackUrl.searchParams.get('state');
    if (!state || !boundState || state !== boundState || callbackUrl.searchParams.has('error')) {
      throw new IdentityException(IdentityErrorCode.LoginFailed);
    }
    const [consumed] = (await this.dataSource.query(
      `DELETE FROM login_requests WHERE state_hash = $1 AND expires_at > now()
       RETURNING code_verifier, nonce, return_to`,
      [stateHash(state)],
    )) as [{ code_verifier: string; nonce: string; return_to: string }[], number];
    const pending = consumed?.[0];
    if (!pending) throw new IdentityException(IdentityErrorCode.LoginFailed);
    const identity = await this.relyingParty.complete(callbackUrl, {
      state,
      codeVerifier: pending.code_verifier,
      nonce: pending.nonce,
    });
    return this.dataSource.transaction(async (manager) => {
      const person = await this.people.upsertFromPlatform(identity, manager);
      const tokens = await this.sessions.open(person.id, manager);
      await this.audit.append(
        {
          actor: { type: 'person', id: person.id },
          action: 'auth.login',
          object: { type: 'session', id: tokens.sessionId },
          requestId,
          details: { assuranceLevel: person.assuranceLevel },
        },
        manager,
      );
      return { tokens, returnTo: pending.return_to };
    });
  }

  async recordFailure(code: string, requestId: string): Promise<void> {
    await this.audit.append({
      actor: { type: 'anonymous' },
      action: 'auth.login',
      outcome: 'failure',
      requestId,
      details: { code },
    });
  }
}
