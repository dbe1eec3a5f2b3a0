import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { AuditLog } from '@zhengming/audit';
import { PeopleService, PersonEntity, requireCreditCode, type MaskedPerson } from '@zhengming/identity';
import { SealEntity, SealsService } from '@zhengming/signing';
import {
  ENTERPRISE_SEAL_KIND_NAMES,
  EnterpriseApiKeyEntity,
  EnterpriseEntity,
  EnterpriseSealApplicationEntity,
  EnterpriseSealEntity,
  EnterpriseSealUserEntity,
  type EnterpriseApplicationStatus,
  type EnterpriseSealKind,
} from './enterprise.entities';
import { EnterpriseErrorCode, EnterpriseException } from './enterprise.exception';

/** Who acts: a signed-in person, and whether they are the district admin (who sees every enterprise). */
export interface EnterpriseActor {
  personId: string;
  isAdmin: boolean;
  requestId?: string;
}

export interface NewEnterpriseApplication {
  creditCode: string;
  enterpriseName: string;
  sealKinds: EnterpriseSealKind[];
}

export interface EnterpriseApplicationView {
  id: string;
  creditCode: string;
  enterpriseName: string;
  applicant: MaskedPerson;
  sealKinds: EnterpriseSealKind[];
  status: EnterpriseApplicationStatus;
  decisionReason: string | null;
  decidedAt: Date | null;
  createdAt: Date;
  enterpriseId: string | null;
  /** The seals approval issued. */
  seals: { id: string; kind: EnterpriseSealKind; code: string }[];
}

export interface EnterpriseSealView {
  id: string;
  code: string;
  kind: EnterpriseSealKind;
  kindName: string;
  enterprise: { id: string; name: string; creditCode: string };
  status: SealEntity['status'];
  statusReason: string | null;
  certificateSerial: string;
  notBefore: Date;
  notAfter: Date;
  /** The caller is the enterprise's legal representative (names users, reads the use log). */
  manageable: boolean;
  /** The caller may use it. */
  usable: boolean;
  /** Named users; only for the legal representative and the admin. */
  users: { id: string; person: MaskedPerson; grantedAt: Date }[] | null;
}

/** What the seal-use service needs to know about a seal it is asked to sign with. */
export interface EnterpriseSealRecord {
  link: EnterpriseSealEntity;
  seal: SealEntity;
  enterprise: EnterpriseEntity;
}

/** An enterprise's own system, identified by its API key. */
export interface EnterpriseSystem {
  enterpriseId: string;
  keyId: string;
}

const ISSUE_LOCK = 'enterprise-seals:issue';
const KEY_SHAPE = /^zes_([a-z2-7]{12})_[A-Za-z0-9_-]{43}$/;

/**
 * Enterprise e-seals (企业电子印章制发): a legal representative applies for the enterprise's seals, the
 * district admin approves or rejects, approval issues each seal (key, certificate under the district
 * PKI, an entry in the seal registry), and the legal representative names who may use each.
 */
@Injectable()
export class EnterpriseSealsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly seals: SealsService,
    private readonly people: PeopleService,
    private readonly audit: AuditLog,
  ) {}

  async apply(input: NewEnterpriseApplication, actor: EnterpriseActor): Promise<EnterpriseApplicationView> {
    const code = requireCreditCode(input.creditCode);
    // 9: registered by market regulation; 1 enterprise, 2 individual business, 3 farmers' cooperative.
    if (code.registrationAuthority !== '9' || !['1', '2', '3'].includes(code.category)) {
      throw new EnterpriseException(EnterpriseErrorCode.NotAnEnterprise, {
        registrationAuthority: code.registrationAuthority,
        category: code.category,
      });
    }
    const kinds = [...new Set(input.sealKinds)];
    const id = await this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`enterprise-application:${code.value}`]);
      const enterprise = await m.findOneBy(EnterpriseEntity, { creditCode: code.value });
      if (enterprise && enterprise.legalRepresentativeId !== actor.personId) {
        throw new EnterpriseException(EnterpriseErrorCode.NotLegalRepresentative);
      }
      if (await m.existsBy(EnterpriseSealApplicationEntity, { creditCode: code.value, status: 'submitted' })) {
        throw new EnterpriseException(EnterpriseErrorCode.ApplicationPending);
      }
      if (enterprise) await this.assertKindsFree(m, enterprise.id, kinds);
      const row = m.create(EnterpriseSealApplicationEntity, {
        creditCode: code.value,
        enterpriseName: input.enterpriseName.trim(),
        applicantId: actor.personId,
        sealKinds: kinds,
        status: 'submitted',
        decisionReason: null,
        decidedBy: null,
        decidedAt: null,
        enterpriseId: null,
      });
      await m.insert(EnterpriseSealApplicationEntity, row);
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'enterprise.application.submit',
          object: { type: 'enterprise_seal_application', id: row.id },
          requestId: actor.requestId,
          details: { creditCode: code.value, sealKinds: kinds },
        },
        m,
      );
      return row.id;
    });
    return this.application(id, actor);
  }

  async applications(
    actor: EnterpriseActor,
    query: { status?: EnterpriseApplicationStatus; offset: number; limit: number },
  ): Promise<{ total: number; items: EnterpriseApplicationView[] }> {
    const where = {
      ...(actor.isAdmin ? {} : { applicantId: actor.personId }),
      ...(query.status ? { status: query.status } : {}),
    };
    const [rows, total] = await this.dataSource.getRepository(EnterpriseSealApplicationEntity).findAndCount({
      where,
      relations: { applicant: true },
      order: { createdAt: 'DESC' },
      skip: query.offset,
      take: query.limit,
    });
    return { total, items: await Promise.all(rows.map((row) => this.view(row))) };
  }

  async application(id: string, actor: EnterpriseActor): Promise<EnterpriseApplicationView> {
    const row = await this.dataSource
      .getRepository(EnterpriseSealApplicationEntity)
      .findOne({ where: { id }, relations: { applicant: true } });
    if (!row || (!actor.isAdmin && row.applicantId !== actor.personId)) {
      throw new EnterpriseException(EnterpriseErrorCode.ApplicationNotFound);
    }
    return this.view(row);
  }

  /** Approves and issues every seal asked for, in one transaction: all of them or none. */
  async approve(id: string, actor: EnterpriseActor): Promise<EnterpriseApplicationView> {
    await this.dataSource.transaction(async (m) => {
      const application = await this.lockSubmitted(m, id);
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [ISSUE_LOCK]);
      let enterprise = await m.findOneBy(EnterpriseEntity, { creditCode: application.creditCode });
      if (enterprise) {
        enterprise.name = application.enterpriseName;
        enterprise.legalRepresentativeId = application.applicantId;
        await m.save(EnterpriseEntity, enterprise);
      } else {
        enterprise = m.create(EnterpriseEntity, {
          creditCode: application.creditCode,
          name: application.enterpriseName,
          legalRepresentativeId: application.applicantId,
        });
        await m.insert(EnterpriseEntity, enterprise);
      }
      await this.assertKindsFree(m, enterprise.id, application.sealKinds);
      const issued: { sealId: string; kind: EnterpriseSealKind; code: string }[] = [];
      for (const kind of application.sealKinds) {
        const code = await this.seals.nextEnterpriseSealCode(m);
        const seal = await this.seals.create(m, {
          kind: 'enterprise',
          code,
          name: enterprise.name,
          organizationId: null,
          subject: {
            C: 'CN',
            ST: '广东省',
            L: '广州市增城区',
            O: enterprise.name,
            OU: ENTERPRISE_SEAL_KIND_NAMES[kind],
            CN: `${enterprise.name}${ENTERPRISE_SEAL_KIND_NAMES[kind]}`,
            serialNumber: code,
          },
        });
        await m.insert(EnterpriseSealEntity, {
          sealId: seal.id,
          enterpriseId: enterprise.id,
          kind,
          applicationId: application.id,
        });
        issued.push({ sealId: seal.id, kind, code });
      }
      await m.update(
        EnterpriseSealApplicationEntity,
        { id },
        { status: 'approved', decidedBy: actor.personId, decidedAt: new Date(), enterpriseId: enterprise.id },
      );
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'enterprise.application.approve',
          object: { type: 'enterprise_seal_application', id },
          requestId: actor.requestId,
          details: { enterpriseId: enterprise.id, seals: issued },
        },
        m,
      );
    });
    return this.application(id, actor);
  }

  async reject(id: string, reason: string, actor: EnterpriseActor): Promise<EnterpriseApplicationView> {
    await this.dataSource.transaction(async (m) => {
      await this.lockSubmitted(m, id);
      await m.update(
        EnterpriseSealApplicationEntity,
        { id },
        { status: 'rejected', decisionReason: reason.trim(), decidedBy: actor.personId, decidedAt: new Date() },
      );
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'enterprise.application.reject',
          object: { type: 'enterprise_seal_application', id },
          requestId: actor.requestId,
          details: { reason: reason.trim() },
        },
        m,
      );
    });
    return this.application(id, actor);
  }

  /** The admin: every enterprise seal; anyone else: the seals they manage or may use. */
  async list(actor: EnterpriseActor): Promise<EnterpriseSealView[]> {
    const qb = this.dataSource
      .getRepository(EnterpriseSealEntity)
      .createQueryBuilder('es')
      .innerJoinAndSelect('es.seal', 's')
      .innerJoinAndSelect('es.enterprise', 'e')
      .orderBy('e.credit_code')
      .addOrderBy('s.code');
    if (!actor.isAdmin) {
      qb.where(
        `e.legal_representative_id = :person OR EXISTS (SELECT 1 FROM enterprise_seal_users u
           WHERE u.seal_id = es.seal_id AND u.person_id = :person AND u.removed_at IS NULL)`,
        { person: actor.personId },
      );
    }
    const rows = await qb.getMany();
    return Promise.all(rows.map((row) => this.sealView(row, actor)));
  }

  async get(sealId: string, actor: EnterpriseActor): Promise<EnterpriseSealView> {
    const record = await this.record(sealId);
    const view = await this.sealView(record.link, actor);
    if (!actor.isAdmin && !view.manageable && !view.usable) {
      throw new EnterpriseException(EnterpriseErrorCode.SealNotFound);
    }
    return view;
  }

  /** The seal with its enterprise; 404 when there is no such enterprise seal. */
  async record(sealId: string, manager: EntityManager = this.dataSource.manager): Promise<EnterpriseSealRecord> {
    const link = await manager
      .getRepository(EnterpriseSealEntity)
      .findOne({ where: { sealId }, relations: { seal: true, enterprise: true } });
    if (!link?.seal || !link.enterprise) throw new EnterpriseException(EnterpriseErrorCode.SealNotFound);
    return { link, seal: link.seal, enterprise: link.enterprise };
  }

  /** Whether the person is a named user of the seal now. */
  async isUser(sealId: string, personId: string): Promise<boolean> {
    return this.dataSource.getRepository(EnterpriseSealUserEntity).existsBy({ sealId, personId, removedAt: IsNull() });
  }

  /** The legal representative names a user by name and ID number (registered if never signed in). */
  async addUser(
    sealId: string,
    input: { name: string; idNumber: string },
    actor: EnterpriseActor,
  ): Promise<EnterpriseSealView> {
    await this.dataSource.transaction(async (m) => {
      const { enterprise } = await this.managed(sealId, actor, m);
      const person = await this.people.register(input, m);
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`enterprise-seal-users:${sealId}`]);
      if (await m.existsBy(EnterpriseSealUserEntity, { sealId, personId: person.id, removedAt: IsNull() })) {
        throw new EnterpriseException(EnterpriseErrorCode.SealUserExists);
      }
      const row = m.create(EnterpriseSealUserEntity, {
        sealId,
        personId: person.id,
        grantedBy: actor.personId,
        removedBy: null,
        removedAt: null,
      });
      await m.insert(EnterpriseSealUserEntity, row);
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'enterprise.seal.user.add',
          object: { type: 'enterprise_seal_user', id: row.id },
          requestId: actor.requestId,
          details: { sealId, enterpriseId: enterprise.id, personId: person.id },
        },
        m,
      );
    });
    return this.get(sealId, actor);
  }

  async removeUser(sealId: string, userId: string, actor: EnterpriseActor): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const { enterprise } = await this.managed(sealId, actor, m);
      const row = await m.findOneBy(EnterpriseSealUserEntity, { id: userId, sealId, removedAt: IsNull() });
      if (!row) throw new EnterpriseException(EnterpriseErrorCode.SealUserNotFound);
      await m.update(EnterpriseSealUserEntity, { id: row.id }, { removedAt: new Date(), removedBy: actor.personId });
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'enterprise.seal.user.remove',
          object: { type: 'enterprise_seal_user', id: row.id },
          requestId: actor.requestId,
          details: { sealId, enterpriseId: enterprise.id, personId: row.personId },
        },
        m,
      );
    });
  }

  /** The seal, if `actor` is its enterprise's legal representative (or the admin reading); 404 otherwise. */
  async managed(
    sealId: string,
    actor: EnterpriseActor,
    manager: EntityManager = this.dataSource.manager,
    options: { adminMayRead?: boolean } = {},
  ): Promise<EnterpriseSealRecord> {
    const record = await this.record(sealId, manager);
    const allowed =
      record.enterprise.legalRepresentativeId === actor.personId || (options.adminMayRead === true && actor.isAdmin);
    if (!allowed) throw new EnterpriseException(EnterpriseErrorCode.SealNotFound);
    return record;
  }

  /** A key for the enterprise's own systems; the secret is returned once. */
  async createApiKey(
    enterpriseId: string,
    label: string,
    actor: EnterpriseActor,
  ): Promise<{ row: EnterpriseApiKeyEntity; key: string }> {
    return this.dataSource.transaction(async (m) => {
      const enterprise = await m.findOneBy(EnterpriseEntity, { id: enterpriseId });
      if (!enterprise || enterprise.legalRepresentativeId !== actor.personId) {
        throw new EnterpriseException(EnterpriseErrorCode.NotLegalRepresentative);
      }
      const prefix = keyPrefix();
      const key = `zes_${prefix}_${randomBytes(32).toString('base64url')}`;
      const row = m.create(EnterpriseApiKeyEntity, {
        enterpriseId,
        prefix,
        secretHash: sha256(key),
        label: label.trim(),
        createdBy: actor.personId,
        revokedAt: null,
      });
      await m.insert(EnterpriseApiKeyEntity, row);
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'enterprise.key.create',
          object: { type: 'enterprise_api_key', id: row.id },
          requestId: actor.requestId,
          details: { enterpriseId, prefix },
        },
        m,
      );
      return { row, key };
    });
  }

  async revokeApiKey(enterpriseId: string, keyId: string, actor: EnterpriseActor): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const enterprise = await m.findOneBy(EnterpriseEntity, { id: enterpriseId });
      if (!enterprise || enterprise.legalRepresentativeId !== actor.personId) {
        throw new EnterpriseException(EnterpriseErrorCode.NotLegalRepresentative);
      }
      const key = await m.findOneBy(EnterpriseApiKeyEntity, { id: keyId, enterpriseId });
      if (!key) throw new EnterpriseException(EnterpriseErrorCode.ApiKeyNotFound);
      if (key.revokedAt) return;
      await m.update(EnterpriseApiKeyEntity, { id: key.id }, { revokedAt: new Date() });
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'enterprise.key.revoke',
          object: { type: 'enterprise_api_key', id: key.id },
          requestId: actor.requestId,
          details: { enterpriseId, prefix: key.prefix },
        },
        m,
      );
    });
  }

  /** Whether `presented` looks like an enterprise key (the access guard routes it here). */
  static isEnterpriseKey(presented: string): boolean {
    return presented.startsWith('zes_');
  }

  /** The enterprise behind a presented key, or null when it is unknown or revoked. */
  async authenticate(presented: string): Promise<EnterpriseSystem | null> {
    const match = KEY_SHAPE.exec(presented);
    if (!match) return null;
    const row = await this.dataSource.getRepository(EnterpriseApiKeyEntity).findOneBy({ prefix: match[1] });
    if (!row || row.revokedAt) return null;
    if (!timingSafeEqual(Buffer.from(row.secretHash, 'hex'), Buffer.from(sha256(presented), 'hex'))) return null;
    return { enterpriseId: row.enterpriseId, keyId: row.id };
  }

  private async lockSubmitted(m: EntityManager, id: string): Promise<EnterpriseSealApplicationEntity> {
    const application = await m
      .getRepository(EnterpriseSealApplicationEntity)
      .createQueryBuilder('a')
      .setLock('pessimistic_write')
      .where('a.id = :id', { id })
      .getOne();
    if (!application) throw new EnterpriseException(EnterpriseErrorCode.ApplicationNotFound);
    if (application.status !== 'submitted') {
      throw new EnterpriseException(EnterpriseErrorCode.ApplicationDecided, { status: application.status });
    }
    return application;
  }

  private async assertKindsFree(m: EntityManager, enterpriseId: string, kinds: EnterpriseSealKind[]): Promise<void> {
    const held = (await m.query(
      `SELECT es.kind FROM enterprise_seals es JOIN seals s ON s.id = es.seal_id
        WHERE es.enterprise_id = $1 AND s.status <> 'revoked' AND es.kind = ANY($2)`,
      [enterpriseId, kinds],
    )) as { kind: EnterpriseSealKind }[];
    if (held.length > 0) {
      throw new EnterpriseException(EnterpriseErrorCode.SealKindHeld, { kinds: held.map((row) => row.kind) });
    }
  }

  private async view(row: EnterpriseSealApplicationEntity): Promise<EnterpriseApplicationView> {
    const applicant =
      row.applicant ?? (await this.dataSource.manager.findOneByOrFail(PersonEntity, { id: row.applicantId }));
    const seals =
      row.status === 'approved'
        ? await this.dataSource
            .getRepository(EnterpriseSealEntity)
            .find({ where: { applicationId: row.id }, relations: { seal: true } })
        : [];
    return {
      id: row.id,
      creditCode: row.creditCode,
      enterpriseName: row.enterpriseName,
      applicant: this.people.masked(applicant),
      sealKinds: row.sealKinds,
      status: row.status,
      decisionReason: row.decisionReason,
      decidedAt: row.decidedAt,
      createdAt: row.createdAt,
      enterpriseId: row.enterpriseId,
      seals: seals
        .map((s) => ({ id: s.sealId, kind: s.kind, code: s.seal?.code ?? '' }))
        .sort((a, b) => a.code.localeCompare(b.code)),
    };
  }

  private async sealView(link: EnterpriseSealEntity, actor: EnterpriseActor): Promise<EnterpriseSealView> {
    const seal = link.seal!;
    const enterprise = link.enterprise!;
    const manageable = enterprise.legalRepresentativeId === actor.personId;
    const usable = await this.isUser(seal.id, actor.personId);
    let users: EnterpriseSealView['users'] = null;
    if (manageable || actor.isAdmin) {
      const rows = await this.dataSource.getRepository(EnterpriseSealUserEntity).find({
        where: { sealId: seal.id, removedAt: IsNull() },
        relations: { person: true },
        order: { grantedAt: 'ASC' },
      });
      users = rows.map((row) => ({ id: row.id, person: this.people.masked(row.person!), grantedAt: row.grantedAt }));
    }
    return {
      id: seal.id,
      code: seal.code,
      kind: link.kind,
      kindName: ENTERPRISE_SEAL_KIND_NAMES[link.kind],
      enterprise: { id: enterprise.id, name: enterprise.name, creditCode: enterprise.creditCode },
      status: seal.status,
      statusReason: seal.statusReason,
      certificateSerial: seal.serialHex,
      notBefore: seal.notBefore,
      notAfter: seal.notAfter,
      manageable,
      usable,
      users,
    };
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** 12 characters of base32's alphabet (256 is a multiple of 32, so each is uniform): finds the key's row. */
function keyPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(randomBytes(12), (byte) => alphabet[byte & 31]).join('');
}
