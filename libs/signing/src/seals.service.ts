import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { OrganizationEntity } from '@zhengming/organizations';
import { PkiService } from './pki.service';
import type { DistinguishedName } from './pki/x509';
import {
  SealCertificateEntity,
  SealEntity,
  SealStatusEventEntity,
  type SealKind,
  type SealStatus,
  type SealStatusAction,
} from './signing.entities';
import { SigningErrorCode, SigningException } from './signing.exception';
import { SigningKeysService } from './signing-keys.service';
import type { DataSigner } from './keys/key-store';

export const SEAL_CERTIFICATE_YEARS = 3;

export interface SealQuery {
  townId?: string;
  committeeId?: string;
  status?: SealStatus;
  search?: string;
  offset: number;
  limit: number;
}

/** What signing with a seal needs: the seal, a signer for its key, and its certificate. */
export interface SealSigning {
  seal: SealEntity;
  signer: DataSigner;
}

/** A seal's state at one moment: its status, why, and since when (null: the seal did not exist yet). */
export interface SealStateAt {
  status: SealStatus;
  reason: string | null;
  since: Date;
}

/** What verification shows: the seal's state when it signed and now. */
export interface SealStates {
  sealId: string;
  atSigning: SealStateAt | null;
  now: SealStateAt;
}

/**
 * Whether a seal may sign at `at`: refused while suspended or once revoked (coded, so that callers
 * and the API tell which), and outside its certificate's validity.
 */
export function assertSealUsable(seal: Pick<SealEntity, 'id' | 'status' | 'notBefore' | 'notAfter'>, at: Date): void {
  if (seal.status === 'suspended') throw new SigningException(SigningErrorCode.SealSuspended, { sealId: seal.id });
  if (seal.status === 'revoked') throw new SigningException(SigningErrorCode.SealRevoked, { sealId: seal.id });
  if (at < seal.notBefore || at > seal.notAfter) {
    throw new SigningException(SigningErrorCode.SealCertificateNotCurrent, {
      sealId: seal.id,
      notBefore: seal.notBefore,
      notAfter: seal.notAfter,
    });
  }
}

/** A seal to make: its owner, code, the name along its arc and the subject of its certificate. */
export interface NewSeal {
  kind: SealKind;
  code: string;
  name: string;
  organizationId: string | null;
  subject: DistinguishedName;
}

/** The district's code: enterprise seal codes start with it and a 9. */
const DISTRICT_CODE = '440118';

/**
 * The electronic seals: one current seal per committee, and those issued to enterprises; each with its
 * own key in the key store and a certificate from the district's issuing CA.
 */
@Injectable()
export class SealsService {
  private readonly logger = new Logger(SealsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pki: PkiService,
    private readonly keys: SigningKeysService,
  ) {}

  /** Gives every active committee without a current seal its seal; idempotent under an advisory lock. */
  async ensureCommitteeSeals(): Promise<{ created: number; total: number }> {
    return this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['seals:ensure-committees']);
      const missing: Pick<OrganizationEntity, 'id' | 'code' | 'name' | 'parentId'>[] = await m
        .getRepository(OrganizationEntity)
        .createQueryBuilder('o')
        .select(['o.id', 'o.code', 'o.name', 'o.parentId'])
        .where(`o.level = 'committee' AND o.active`)
        .andWhere(`NOT EXISTS (SELECT 1 FROM seals s WHERE s.organization_id = o.id AND s.status <> 'revoked')`)
        .orderBy('o.code')
        .getMany();
      if (missing.length > 0) {
        const towns = new Map(
          (await m.find(OrganizationEntity, { where: { level: 'town' } })).map((town) => [town.id, town.name]),
        );
        for (const committee of missing) {
          await this.createCommitteeSeal(m, committee, towns.get(committee.parentId ?? '') ?? '');
        }
        this.logger.log({ created: missing.length }, 'committee seals created');
      }
      const total = await m.count(SealEntity, { where: { kind: 'committee' } });
      return { created: missing.length, total };
    });
  }

  /**
   * The committee's seal for signing, refused unless it is active and its certificate current. A
   * committee whose seal was revoked and not yet replaced hears that, not "no seal".
   */
  async forSigning(
    committeeId: string,
    at: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SealSigning> {
    const seal = await manager
      .getRepository(SealEntity)
      .createQueryBuilder('s')
      .where(`s.organization_id = :committeeId AND s.kind = 'committee'`, { committeeId })
      .orderBy(`s.status = 'revoked'`, 'ASC')
      .addOrderBy('s.created_at', 'DESC')
      .getOne();
    if (!seal) throw new SigningException(SigningErrorCode.SealNotFound, { committeeId });
    assertSealUsable(seal, at);
    return { seal, signer: await this.keys.signerById(manager, seal.keyId) };
  }

  /** Any seal, whoever owns it, for signing now: refused with SEAL_SUSPENDED / SEAL_REVOKED otherwise. */
  async sealForSigning(
    sealId: string,
    at: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SealSigning> {
    const seal = await manager.findOneBy(SealEntity, { id: sealId });
    if (!seal) throw new SigningException(SigningErrorCode.SealNotFound, { sealId });
    assertSealUsable(seal, at);
    return { seal, signer: await this.keys.signerById(manager, seal.keyId) };
  }

  /**
   * In the transaction that records what a seal signed (at one time, or several): the seal is still
   * in force with the certificate that signed. The row is share-locked, so a suspension, revocation or rotation either
   * committed before (and the record is refused, to be retried) or waits until after it — the status
   * history then never shows the seal out of force at a time it signed.
   */
  async confirmInForce(
    m: EntityManager,
    signed: Pick<SealEntity, 'id' | 'serialHex'>,
    at: Date | readonly Date[],
  ): Promise<void> {
    const seal = await m
      .getRepository(SealEntity)
      .createQueryBuilder('s')
      .setLock('pessimistic_read')
      .where('s.id = :id', { id: signed.id })
      .getOne();
    if (!seal) throw new SigningException(SigningErrorCode.SealNotFound, { sealId: signed.id });
    for (const time of Array.isArray(at) ? at : [at]) assertSealUsable(seal, time);
    if (seal.serialHex !== signed.serialHex) {
      throw new SigningException(SigningErrorCode.SealCertificateNotCurrent, {
        sealId: seal.id,
        signedWith: signed.serialHex,
        current: seal.serialHex,
      });
    }
  }

  /** The seal's status at `at` from its history; null if the seal did not exist then. */
  async stateAt(
    sealId: string,
    at: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SealStateAt | null> {
    const event = await manager
      .getRepository(SealStatusEventEntity)
      .createQueryBuilder('e')
      .where('e.seal_id = :sealId AND e.occurred_at <= :at', { sealId, at })
      .orderBy('e.occurred_at', 'DESC')
      .getOne();
    return event ? { status: event.status, reason: event.reason, since: event.occurredAt } : null;
  }

  /** The seal's state when it signed (at `signedAt`) and now, for verification. */
  async states(sealId: string, signedAt: Date): Promise<SealStates> {
    const seal = await this.dataSource.manager.findOneBy(SealEntity, { id: sealId });
    if (!seal) throw new SigningException(SigningErrorCode.SealNotFound, { sealId });
    return {
      sealId,
      atSigning: await this.stateAt(sealId, signedAt),
      now: { status: seal.status, reason: seal.statusReason, since: seal.statusChangedAt ?? seal.createdAt },
    };
  }

  /** The seal whose certificate (current or replaced) has this serial, as a PDF's signer names it. */
  async bySerial(serialHex: string): Promise<{ seal: SealEntity; certificate: SealCertificateEntity } | null> {
    const certificate = await this.dataSource.manager.findOne(SealCertificateEntity, {
      where: { serialHex: serialHex.toLowerCase() },
      relations: { seal: true },
    });
    return certificate?.seal ? { seal: certificate.seal, certificate } : null;
  }

  /** Every certificate the seal has had, newest first. */
  async certificatesOf(sealId: string): Promise<SealCertificateEntity[]> {
    return this.dataSource.manager.find(SealCertificateEntity, { where: { sealId }, order: { notBefore: 'DESC' } });
  }

  /**
   * The next enterprise seal code: the district's code, 9 and a six-digit serial. Call in the
   * transaction that creates the seal, under a lock that serialises enterprise seal issuing.
   */
  async nextEnterpriseSealCode(m: EntityManager): Promise<string> {
    const [row] = (await m.query(
      `SELECT max(substring(code FROM 8)::int) AS last FROM seals WHERE kind = 'enterprise' AND code LIKE $1`,
      [`${DISTRICT_CODE}9%`],
    )) as { last: number | null }[];
    return `${DISTRICT_CODE}9${String((row?.last ?? 0) + 1).padStart(6, '0')}`;
  }

  /**
   * Makes a seal for an owner other than a committee (an enterprise): a new key in the key store, its
   * certificate from the issuing CA, and the seal registered with its lifecycle (registerSeal).
   */
  async create(
    m: EntityManager,
    input: NewSeal,
    actorId: string | null = null,
    years = SEAL_CERTIFICATE_YEARS,
  ): Promise<SealEntity> {
    const key = await this.keys.create(m, `seal-${input.code}`);
    const issued = await this.pki.issueSigningCertificate(m, input.subject, key, years);
    const seal = m.create(SealEntity, {
      kind: input.kind,
      code: input.code,
      organizationId: input.organizationId,
      name: input.name,
      status: 'active',
      statusReason: null,
      statusChangedAt: new Date(),
      statusChangedBy: actorId,
      keyId: key.id,
      issuerId: issued.issuerId,
      certificateDer: issued.der,
      serialHex: issued.serialHex,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
    return registerSeal(m, seal, actorId);
  }

  async list(query: SealQuery): Promise<{ items: SealEntity[]; total: number }> {
    const qb = this.dataSource
      .getRepository(SealEntity)
      .createQueryBuilder('s')
      .innerJoinAndSelect('s.organization', 'o')
      .innerJoinAndSelect('s.key', 'k')
      .orderBy('s.code');
    if (query.committeeId) qb.andWhere('s.organization_id = :committeeId', { committeeId: query.committeeId });
    if (query.townId) qb.andWhere('o.parent_id = :townId', { townId: query.townId });
    if (query.status) qb.andWhere('s.status = :status', { status: query.status });
    if (query.search) {
      qb.andWhere(`(s.name LIKE :search OR s.code LIKE :search)`, { search: `%${escapeLike(query.search)}%` });
    }
    const [items, total] = await qb.skip(query.offset).take(query.limit).getManyAndCount();
    return { items, total };
  }

  async get(id: string): Promise<SealEntity> {
    const seal = await this.dataSource
      .getRepository(SealEntity)
      .findOne({ where: { id }, relations: { organization: true, key: true } });
    if (!seal) throw new SigningException(SigningErrorCode.SealNotFound, { id });
    return seal;
  }

  /**
   * The next generation of a committee's seal after its seal was revoked (code ending in the next
   * digit, a new key and certificate). Refused while the committee has a seal that is not revoked.
   */
  async issueCommitteeSuccessor(m: EntityManager, revoked: SealEntity): Promise<SealEntity> {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['seals:ensure-committees']);
    // Only a committee's seal has a committee to succeed it (an enterprise's is applied for anew).
    const committeeId = revoked.kind === 'committee' ? revoked.organizationId : null;
    const current = committeeId
      ? await m
          .getRepository(SealEntity)
          .createQueryBuilder('s')
          .where(`s.organization_id = :committeeId AND s.status <> 'revoked'`, { committeeId })
          .getOne()
      : null;
    if (!committeeId || revoked.status !== 'revoked' || current) {
      throw new SigningException(SigningErrorCode.SealStatusConflict, {
        sealId: revoked.id,
        status: revoked.status,
        current: current?.id,
      });
    }
    const committee = await m.findOneOrFail(OrganizationEntity, {
      where: { id: committeeId },
      relations: { parent: true },
    });
    return this.createCommitteeSeal(m, committee, committee.parent?.name ?? '');
  }

  private async createCommitteeSeal(
    m: EntityManager,
    committee: Pick<OrganizationEntity, 'id' | 'code' | 'name'>,
    townName: string,
  ): Promise<SealEntity> {
    const generation = await m.count(SealEntity, { where: { organizationId: committee.id } });
    // The 13-digit seal code: the committee's 12-digit code and the seal's generation (1 to 9).
    const code = `${committee.code}${generation + 1}`;
    const name = `${townName}${committee.name}`;
    const key = await this.keys.create(m, `seal-${code}`);
    const issued = await this.pki.issueSigningCertificate(
      m,
      { C: 'CN', ST: '广东省', L: '广州市增城区', O: name, OU: '电子印章', CN: `${name}电子印章`, serialNumber: code },
      key,
      SEAL_CERTIFICATE_YEARS,
    );
    const seal = m.create(SealEntity, {
      kind: 'committee',
      code,
      organizationId: committee.id,
      name,
      status: 'active',
      statusReason: null,
      statusChangedAt: new Date(),
      statusChangedBy: null,
      keyId: key.id,
      issuerId: issued.issuerId,
      certificateDer: issued.der,
      serialHex: issued.serialHex,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
    return registerSeal(m, seal);
  }
}

/**
 * Records a new seal with what its lifecycle needs: the row, its creation in the status history and
 * its first certificate in the list of its certificates. Every kind of seal is created through here.
 */
export async function registerSeal(
  m: EntityManager,
  seal: SealEntity,
  actorId: string | null = null,
): Promise<SealEntity> {
  await m.insert(SealEntity, seal);
  await recordSealStatus(m, seal, 'create', actorId, seal.statusChangedAt ?? new Date());
  await m.insert(SealCertificateEntity, {
    sealId: seal.id,
    keyId: seal.keyId,
    issuerId: seal.issuerId,
    certificateDer: seal.certificateDer,
    serialHex: seal.serialHex,
    notBefore: seal.notBefore,
    notAfter: seal.notAfter,
    replacedAt: null,
  });
  return seal;
}

/** Appends the seal's current status to its history. */
export async function recordSealStatus(
  m: EntityManager,
  seal: Pick<SealEntity, 'id' | 'status' | 'statusReason'>,
  action: SealStatusAction,
  actorId: string | null,
  at: Date,
): Promise<void> {
  await m.insert(SealStatusEventEntity, {
    sealId: seal.id,
    action,
    status: seal.status,
    reason: seal.statusReason,
    actorId,
    occurredAt: at,
  });
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
