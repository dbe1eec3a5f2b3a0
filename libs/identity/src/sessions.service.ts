import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { AUTH_CONFIG, type AuthConfig } from '@zhengming/config';
import { SessionEntity } from './session.entity';
import { IdentityErrorCode, IdentityException } from './identity.exception';

export interface SessionTokens {
  sessionId: string;
  accessToken: string;
  accessExpiresAt: Date;
  refreshToken: string;
  refreshExpiresAt: Date;
}

const ACCESS_PREFIX = 'zat_';
const REFRESH_PREFIX = 'zrt_';

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const refused = (code: IdentityErrorCode, details?: unknown) => ({
  refused: new IdentityException(code, details),
  tokens: undefined,
});

const newToken = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;

/** Opaque bearer sessions: revocable at once, nothing to sign, nothing personal inside the token. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async open(personId: string, manager: EntityManager = this.dataSource.manager): Promise<SessionTokens> {
    const tokens = this.issue();
    const session = await manager.save(
      SessionEntity,
      manager.create(SessionEntity, {
        personId,
        accessTokenHash: tokenHash(tokens.accessToken),
        accessExpiresAt: tokens.accessExpiresAt,
        refreshTokenHash: tokenHash(tokens.refreshToken),
        refreshExpiresAt: tokens.refreshExpiresAt,
      }),
    );
    return { ...tokens, sessionId: session.id };
  }

  /** The session an access token belongs to; 401 codes say whether it is unknown or expired. */
  async authenticate(accessToken: string): Promise<{ sessionId: string; personId: string }> {
    if (!accessToken.startsWith(ACCESS_PREFIX) || accessToken.length > 128) {
      throw new IdentityException(IdentityErrorCode.TokenInvalid);
    }
    const session = await this.dataSource.getRepository(SessionEntity).findOne({
      where: { accessTokenHash: tokenHash(accessToken) },
      select: { id: true, personId: true, accessExpiresAt: true, revokedAt: true },
    });
    if (!session || session.revokedAt) throw new IdentityException(IdentityErrorCode.TokenInvalid);
    if (session.accessExpiresAt.getTime() <= Date.now()) throw new IdentityException(IdentityErrorCode.TokenExpired);
    return { sessionId: session.id, personId: session.personId };
  }

  /**
   * Exchanges a refresh token for a new pair. A token already rotated away revokes its session: two
   * parties hold it, and we cannot tell which one is the person.
   */
  async refresh(refreshToken: string): Promise<SessionTokens & { personId: string }> {
    if (!refreshToken.startsWith(REFRESH_PREFIX) || refreshToken.length > 128) {
      throw new IdentityException(IdentityErrorCode.TokenInvalid);
    }
    const hash = tokenHash(refreshToken);
    const outcome = await this.dataSource.transaction(async (manager) => {
      const session = await manager
        .getRepository(SessionEntity)
        .createQueryBuilder('s')
        .setLock('pessimistic_write')
        .where('s.refresh_token_hash = :hash OR s.previous_refresh_token_hash = :hash', { hash })
        .getOne();
      if (!session || session.revokedAt) return refused(IdentityErrorCode.TokenInvalid);
      if (session.refreshTokenHash !== hash) {
        // Committed before answering: the revocation must survive the refusal.
        await manager.update(
          SessionEntity,
          { id: session.id },
          { revokedAt: new Date(), revokedReason: 'refresh-reuse' },
        );
        return refused(IdentityErrorCode.TokenInvalid, { reason: 'reused' });
      }
      if (session.refreshExpiresAt.getTime() <= Date.now()) return refused(IdentityErrorCode.TokenExpired);
      const tokens = this.issue();
      await manager.update(
        SessionEntity,
        { id: session.id },
        {
          accessTokenHash: tokenHash(tokens.accessToken),
          accessExpiresAt: tokens.accessExpiresAt,
          previousRefreshTokenHash: hash,
          refreshTokenHash: tokenHash(tokens.refreshToken),
          refreshExpiresAt: tokens.refreshExpiresAt,
        },
      );
      return { refused: undefined, tokens: { ...tokens, sessionId: session.id, personId: session.personId } };
    });
    if (outcome.refused) throw outcome.refused;
    return outcome.tokens;
  }

  async close(sessionId: string, reason = 'logout'): Promise<void> {
    await this.dataSource
      .getRepository(SessionEntity)
      .update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date(), revokedReason: reason });
  }

  private issue(): Omit<SessionTokens, 'sessionId'> {
    const now = Date.now();
    return {
      accessToken: newToken(ACCESS_PREFIX),
      accessExpiresAt: new Date(now + this.config.accessTtlSeconds * 1000),
      refreshToken: newToken(REFRESH_PREFIX),
      // Sliding: each refresh extends the session by the configured lifetime.
      refreshExpiresAt: new Date(now + this.config.refreshTtlSeconds * 1000),
    };
  }
}
