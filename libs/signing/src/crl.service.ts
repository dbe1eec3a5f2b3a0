import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThan, type EntityManager } from 'typeorm';
import { issueCrl } from './pki/crl';
import {
  CertificateAuthorityEntity,
  CertificateRevocationListEntity,
  CRL_REASONS,
  RevokedCertificateEntity,
  SigningKeyEntity,
  type CrlReason,
} from './signing.entities';
import { SigningErrorCode, SigningException } from './signing.exception';
import { SigningKeysService } from './signing-keys.service';

/** A CRL is valid for a week (nextUpdate); it is published afresh on every revocation and once half of that has passed. */
export const CRL_VALIDITY_MS = 7 * 24 * 3600 * 1000;
const REFRESH_AFTER_MS = CRL_VALIDITY_MS / 2;
const REFRESH_CHECK_MS = 3600 * 1000;

export interface Revocation {
  issuerId: string;
  serialHex: string;
  certificateNotAfter: Date;
  reason: CrlReason;
  revokedAt: Date;
}

/**
 * The CRLs of the district's CAs (RFC 5280 §5), one series per CA, served at a stable URL that every
 * certificate names in its CRL distribution points. Publishing takes a per-CA advisory lock, so CRL
 * numbers never repeat or skip even with the API and the worker both running.
 */
@Injectable()
export class CrlService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CrlService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: SigningKeysService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.refreshDue().catch((error: unknown) => this.logger.warn({ error: String(error) }, 'CRL refresh failed'));
    }, REFRESH_CHECK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Records revocations (idempotent per certificate: the first reason stands) in the caller's transaction. */
  async revoke(m: EntityManager, revocations: Revocation[]): Promise<void> {
    for (const revocation of revocations) {
      await m
        .createQueryBuilder()
        .insert()
        .into(RevokedCertificateEntity)
        .values({ ...revocation, serialHex: revocation.serialHex.toLowerCase() })
        .orIgnore()
        .execute();
    }
  }

  /** Publishes the CA's next CRL from its revocations as they stand in `m`'s transaction. */
  async publish(m: EntityManager, issuerId: string, now = new Date()): Promise<CertificateRevocationListEntity> {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`crl:${issuerId}`]);
    const authority = await m.findOneBy(CertificateAuthorityEntity, { id: issuerId });
    if (!authority) throw new SigningException(SigningErrorCode.CrlIssuerNotFound, { issuerId });
    const key = await m.findOneByOrFail(SigningKeyEntity, { id: authority.keyId });
    const [last] = (await m.query(
      'SELECT max(crl_number) AS number FROM certificate_revocation_lists WHERE issuer_id = $1',
      [issuerId],
    )) as { number: string | null }[];
    const crlNumber = BigInt(last?.number ?? '0') + 1n;
    const revoked = await m.find(RevokedCertificateEntity, {
      where: { issuerId, certificateNotAfter: MoreThan(now) },
    });
    // Whole seconds: the CRL's times are UTCTime, and the row should say what the CRL says.
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
    const der = await issueCrl(
      {
        issuerCertificateDer: authority.certificateDer,
        issuerPublicKeySpki: key.publicKeySpki,
        crlNumber,
        thisUpdate,
        nextUpdate,
        entries: revoked.map((row) => ({
          serialHex: row.serialHex,
          revokedAt: row.revokedAt,
          reasonCode: CRL_REASONS[row.reason],
        })),
      },
      this.keys.signer(key),
    );
    const row = m.create(CertificateRevocationListEntity, {
      issuerId,
      crlNumber: crlNumber.toString(),
      thisUpdate,
      nextUpdate,
      der,
    });
    await m.insert(CertificateRevocationListEntity, row);
    this.logger.log({ issuerId, crlNumber: row.crlNumber, entries: revoked.length }, 'CRL published');
    return row;
  }

  /** The CA's newest CRL; the first request (or one after a lapse) publishes it. */
  async current(issuerId: string, now = new Date()): Promise<CertificateRevocationListEntity> {
    const latest = await this.latest(this.dataSource.manager, issuerId);
    if (latest && latest.nextUpdate.getTime() - now.getTime() > CRL_VALIDITY_MS - REFRESH_AFTER_MS) return latest;
    return this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`crl:${issuerId}`]);
      const again = await this.latest(m, issuerId);
      if (again && again.nextUpdate.getTime() - now.getTime() > CRL_VALIDITY_MS - REFRESH_AFTER_MS) return again;
      return this.publish(m, issuerId, now);
    });
  }

  /** Publishes afresh every active CA's CRL that is half way to its nextUpdate (or has none). */
  async refreshDue(now = new Date()): Promise<number> {
    const authorities = await this.dataSource.manager.find(CertificateAuthorityEntity, { where: { active: true } });
    let published = 0;
    for (const authority of authorities) {
      const before = await this.latest(this.dataSource.manager, authority.id);
      const after = await this.current(authority.id, now);
      if (after.id !== before?.id) published++;
    }
    return published;
  }

  private latest(m: EntityManager, issuerId: string): Promise<CertificateRevocationListEntity | null> {
    return m.findOne(CertificateRevocationListEntity, { where: { issuerId }, order: { crlNumber: 'DESC' } });
  }
}
