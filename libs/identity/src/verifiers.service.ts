import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditLog } from '@zhengming/audit';
import { Clock } from '@zhengming/clock';
import { preparedQuery } from '@zhengming/database';
import { VerifierApiKeyEntity, VerifierInstitutionEntity, type VerifierSector } from './verifier-institution.entity';
import { IdentityErrorCode, IdentityException } from './identity.exception';
import { requireCreditCode } from './credit-code';
import type { PersonPrincipal } from './principal';

export interface NewInstitution {
  name: string;
  sector: VerifierSector;
  creditCode?: string;
}

export interface NewApiKey {
  label: string;
  rateLimitPerMinute: number;
}

export interface AuthenticatedKey {
  keyId: string;
  rateLimitPerMinute: number;
  institutionId: string;
  sector: VerifierSector;
}

/** `zmk_<prefix>_<secret>`: the prefix finds the row, the whole key is compared by hash. */
const KEY_SHAPE = /^zmk_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function base32Prefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(randomBytes(12), (byte) => alphabet[byte & 31]).join('');
}

const TOUCH_INTERVAL_MS = 60_000;

/**
 * How long this process trusts a key it has already checked without asking the database again. A
 * revocation takes effect at once in the process that made it and within this time in any other.
 */
export const KEY_CACHE_MS = 10_000;
/** Valid keys are few (an administrator makes each); the bound only keeps memory finite. */
const MAX_RECENT_KEYS = 10_000;

@Injectable()
export class VerifiersService {
  private readonly touchedAt = new Map<string, number>();
  /** Keys that authenticated recently, by the presented key itself: the verifier hot path skips the database. */
  private readonly recentKeys = new Map<string, { key: AuthenticatedKey; until: number }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async createInstitution(input: NewInstitution, actor: PersonPrincipal, requestId?: string) {
    const creditCode = input.creditCode?.trim() ? requireCreditCode(input.creditCode).value : null;
    return this.dataSource.transaction(async (manager) => {
      if (creditCode && (await manager.existsBy(VerifierInstitutionEntity, { creditCode }))) {
        throw new IdentityException(IdentityErrorCode.InstitutionExists);
      }
      const institution = await manager.save(
        VerifierInstitutionEntity,
        manager.create(VerifierInstitutionEntity, {
          name: input.name.trim(),
          sector: input.sector,
          creditCode,
          createdBy: actor.personId,
          createdAt: this.clock.now(),
        }),
      );
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'verifier.register',
          object: { type: 'verifier_institution', id: institution.id },
          requestId,
          details: { sector: institution.sector },
        },
        manager,
      );
      return institution;
    });
  }

  list(): Promise<VerifierInstitutionEntity[]> {
    return this.dataSource.getRepository(VerifierInstitutionEntity).find({ order: { createdAt: 'ASC' } });
  }

  async get(id: string): Promise<{ institution: VerifierInstitutionEntity; keys: VerifierApiKeyEntity[] }> {
    const institution = await this.dataSource.getRepository(VerifierInstitutionEntity).findOneBy({ id });
    if (!institution) throw new IdentityException(IdentityErrorCode.InstitutionNotFound);
    const keys = await this.dataSource
      .getRepository(VerifierApiKeyEntity)
      .find({ where: { institutionId: id }, order: { createdAt: 'ASC' } });
    return { institution, keys };
  }

  /** Creates a key and returns its secret: the only time anyone sees it. */
  async createKey(institutionId: string, input: NewApiKey, actor: PersonPrincipal, requestId?: string) {
    return this.dataSource.transaction(async (manager) => {
      const institution = await manager.findOneBy(VerifierInstitutionEntity, { id: institutionId });
      if (!institution) throw new IdentityException(IdentityErrorCode.InstitutionNotFound);
      const prefix = base32Prefix();
      const key = `zmk_${prefix}_${randomBytes(32).toString('base64url')}`;
      const row = await manager.save(
        VerifierApiKeyEntity,
        manager.create(VerifierApiKeyEntity, {
          institutionId,
          prefix,
          secretHash: sha256(key),
          label: input.label.trim(),
          rateLimitPerMinute: input.rateLimitPerMinute,
          createdBy: actor.personId,
          createdAt: this.clock.now(),
        }),
      );
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'verifier.key.create',
          object: { type: 'verifier_api_key', id: row.id },
          requestId,
          details: { institutionId, prefix, rateLimitPerMinute: input.rateLimitPerMinute },
        },
        manager,
      );
      return { row, key };
    });
  }

  async revokeKey(institutionId: string, keyId: string, actor: PersonPrincipal, requestId?: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const key = await manager.findOneBy(VerifierApiKeyEntity, { id: keyId, institutionId });
      if (!key) throw new IdentityException(IdentityErrorCode.ApiKeyNotFound);
      if (key.revokedAt) return;
      await manager.update(
        VerifierApiKeyEntity,
        { id: key.id },
        { revokedAt: this.clock.now(), revokedBy: actor.personId },
      );
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'verifier.key.revoke',
          object: { type: 'verifier_api_key', id: key.id },
          requestId,
          details: { institutionId, prefix: key.prefix },
        },
        manager,
      );
    });
    // After the commit: a check racing the revocation may have cached the key from the old row.
    for (const [presented, entry] of this.recentKeys) if (entry.key.keyId === keyId) this.recentKeys.delete(presented);
  }

  /** A key that authenticated within the last KEY_CACHE_MS, or undefined. */
  recentlyAuthenticated(presented: string): AuthenticatedKey | undefined {
    const entry = this.recentKeys.get(presented);
    if (!entry) return undefined;
    if (entry.until > Date.now()) return entry.key;
    this.recentKeys.delete(presented);
    return undefined;
  }

  /**
   * The institution and key behind a presented API key; 401 when unknown, revoked or inactive. On every
   * verifier request, so a key checked within KEY_CACHE_MS is not looked up again, and a lookup is one
   * prepared statement, no ORM.
   */
  async authenticate(presented: string): Promise<AuthenticatedKey> {
    const recent = this.recentlyAuthenticated(presented);
    if (recent) return recent;
    const match = KEY_SHAPE.exec(presented);
    if (!match) throw new IdentityException(IdentityErrorCode.ApiKeyInvalid);
    const [row] = await preparedQuery<{
      key_id: string;
      secret_hash: string;
      revoked_at: Date | null;
      rate_limit_per_minute: number;
      institution_id: string;
      sector: VerifierSector;
      active: boolean;
    }>(
      this.dataSource,
      'verifier-key-by-prefix',
      `SELECT k.id AS key_id, k.secret_hash, k.revoked_at, k.rate_limit_per_minute, i.id AS institution_id, i.sector, i.active
         FROM verifier_api_keys k JOIN verifier_institutions i ON i.id = k.institution_id
        WHERE k.prefix = $1`,
      [match[1]],
    );
    const expected = Buffer.from(sha256(presented), 'hex');
    if (!row || !timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), expected)) {
      throw new IdentityException(IdentityErrorCode.ApiKeyInvalid);
    }
    if (row.revoked_at || !row.active) throw new IdentityException(IdentityErrorCode.ApiKeyRevoked);
    const key: AuthenticatedKey = {
      keyId: row.key_id,
      rateLimitPerMinute: row.rate_limit_per_minute,
      institutionId: row.institution_id,
      sector: row.sector,
    };
    if (this.recentKeys.size >= MAX_RECENT_KEYS) this.recentKeys.clear();
    this.recentKeys.set(presented, { key, until: Date.now() + KEY_CACHE_MS });
    return key;
  }

  /**
   * Notes that a key was used, at most once a minute per key and process: the verifier hot path
   * should not pay a database write per request for a "last used" date.
   */
  async touch(keyId: string): Promise<void> {
    const now = Date.now();
    if (now - (this.touchedAt.get(keyId) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.touchedAt.set(keyId, now);
    await this.dataSource
      .getRepository(VerifierApiKeyEntity)
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: () => 'now()' })
      .where("id = :keyId AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')", { keyId })
      .execute();
  }
}
