import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { OrganizationEntity } from '@zhengming/organizations';
import { PkiService } from './pki.service';
import { SealEntity, type SealStatus } from './signing.entities';
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

/**
 * The committees' electronic seals: one current seal per committee, each with its own key in the key
 * store and a certificate from the district's issuing CA.
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

  /** The committee's seal for signing, refused unless it is active and its certificate current. */
  async forSigning(
    committeeId: string,
    at: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SealSigning> {
    const seal = await manager
      .getRepository(SealEntity)
      .createQueryBuilder('s')
      .where(`s.organization_id = :committeeId AND s.status <> 'revoked'`, { committeeId })
      .getOne();
    if (!seal) throw new SigningException(SigningErrorCode.SealNotFound, { committeeId });
    if (seal.status !== 'active' || at < seal.notBefore || at > seal.notAfter) {
      throw new SigningException(SigningErrorCode.SealNotActive, { sealId: seal.id, status: seal.status });
    }
    return { seal, signer: await this.keys.signerById(manager, seal.keyId) };
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
      keyId: key.id,
      issuerId: issued.issuerId,
      certificateDer: issued.der,
      serialHex: issued.serialHex,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
    await m.insert(SealEntity, seal);
    return seal;
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
