import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import stringify from 'safe-stable-stringify';
import { AuditLog, type AuditEntry } from '@zhengming/audit';
import { Clock } from '@zhengming/clock';
import {
  CertificateTypesService,
  personalFieldsOf,
  type CertificateTypeVersionEntity,
  type MaterialRequirement,
} from '@zhengming/certificate-types';
import { MATERIALS_CONFIG, type MaterialsConfig } from '@zhengming/config';
import {
  IdentityErrorCode,
  IdentityException,
  PeopleService,
  reaches,
  StaffRole,
  type PersonPrincipal,
} from '@zhengming/identity';
import { NotificationsService, type NewNotification } from '@zhengming/notifications';
import { OrganizationEntity, OrganizationNames } from '@zhengming/organizations';
import { OutboxService } from '@zhengming/outbox';
import { isMobilePhoneNumber, maskIdNumber, maskName, maskPhone, PiiCipher } from '@zhengming/pii';
import { ObjectStorage } from '@zhengming/storage';
import {
  ApplicationEntity,
  ApplicationEventEntity,
  ApplicationMaterialEntity,
  ApplicationRoundEntity,
  IdempotencyKeyEntity,
  SupplementRequestEntity,
  type SupplementItem,
} from './application.entity';
import { ApplicationErrorCode, ApplicationException } from './application.exception';
import {
  ACTION_NAMES,
  ACTOR_NAMES,
  canTake,
  DECIDED_STATUSES,
  isEditable,
  nextStatus,
  STATUS_NAMES,
  TransitionRefused,
  type ApplicationAction,
  type ApplicationActor,
} from './application-state-machine';
import { messageFor } from './application-messages';
import type {
  ApplicationPage,
  ApplicationSummary,
  ApplicationView,
  MaterialView,
  SupplementRequestView,
  ViewAction,
} from './application-view';
import {
  pauseClock,
  readClock,
  resumeClock,
  shanghaiDate,
  startClock,
  stopClock,
  type ClockState,
  type PlainDate,
  type WorkingCalendar,
} from './clock';
import { inspectMaterial, sanitizeFileName } from './materials';
import { WorkingCalendarService } from './working-calendar.service';

export const ISSUE_CERTIFICATE_TOPIC = 'certificate.issue';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;
const REVIEW_ROLES = [StaffRole.Clerk, StaffRole.Approver] as const;
const READ_ROLES = [StaffRole.Clerk, StaffRole.Approver, StaffRole.Supervisor, StaffRole.Admin] as const;

/** The platform itself taking a step of the life cycle (issuing), outside any person's request. */
const SYSTEM = Symbol('system');

export interface RequestContext {
  principal: PersonPrincipal;
  requestId?: string;
  /** The caller's Idempotency-Key header, if any. */
  idempotencyKey?: string;
}

export interface QueueQuery {
  status?: 'submitted' | 'in_review' | 'supplement_requested' | 'approved';
  committeeCode?: string;
  cursor?: string;
  limit: number;
}

interface Loaded {
  application: ApplicationEntity;
  version: CertificateTypeVersionEntity;
}

/** What a transition works with: read before its transaction, so the transaction needs one connection only. */
interface TransitionContext extends Loaded {
  calendar: WorkingCalendar;
  /** The moment of the transition (from the clock), and its calendar day in Asia/Shanghai. */
  now: Date;
  today: PlainDate;
}

/**
 * The application workflow. Every transition is one transaction: the application row alone is
 * locked (`SELECT … FOR UPDATE`, no joins), its state checked against the state machine, and the
 * change, the timeline entry, the audit record, the notifications and any outbox row written together.
 */
@Injectable()
export class ApplicationsService {
  private readonly logger = new Logger(ApplicationsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly types: CertificateTypesService,
    private readonly people: PeopleService,
    private readonly cipher: PiiCipher,
    private readonly audit: AuditLog,
    private readonly outbox: OutboxService,
    private readonly notifications: NotificationsService,
    private readonly storage: ObjectStorage,
    private readonly calendar: WorkingCalendarService,
    private readonly clock: Clock,
    private readonly organizations: OrganizationNames,
    @Inject(MATERIALS_CONFIG) private readonly materialsConfig: MaterialsConfig,
  ) {}

  // ---------------------------------------------------------------- the resident's side

  /** A new draft; the same Idempotency-Key with the same request answers the same draft. */
  async createDraft(ctx: RequestContext, input: { typeCode: string; committeeCode: string }): Promise<ApplicationView> {
    const key = requireIdempotencyKey(ctx.idempotencyKey);
    const requestHash = hashRequest({ action: 'create', ...input });
    // Read before the transaction: inside it, only its own connection is used (no pool deadlock).
    const { version } = await this.types.getActive(input.typeCode);
    const now = this.clock.now();
    const today = shanghaiDate(now);
    const id = await this.dataSource.transaction(async (m) => {
      const replay = await this.replayed(m, ctx.principal.personId, key, 'create', requestHash);
      if (replay) return replay;
      const committee = await m.findOneBy(OrganizationEntity, { code: input.committeeCode });
      if (!committee || !committee.active || committee.level !== 'committee' || !committee.parentId) {
        throw new ApplicationException(ApplicationErrorCode.CommitteeInvalid, { committeeCode: input.committeeCode });
      }
      const person = await this.people.get(ctx.principal.personId, m);
      const [{ seq }] = (await m.query(`SELECT nextval('application_reference_seq') AS seq`)) as { seq: string }[];
      const application = m.create(ApplicationEntity, {
        referenceNo: `SQ${today.replaceAll('-', '')}${seq.padStart(6, '0')}`,
        typeCode: input.typeCode,
        typeVersionId: version.id,
        committeeId: committee.id,
        townId: committee.parentId,
        applicantId: person.id,
        applicantNameMasked: maskName(person.name),
        status: 'draft',
        formEnc: this.encryptForm(this.prefilledForm(version, person)),
        round: 0,
        timeLimitWorkingDays: version.timeLimitWorkingDays,
        clockUsedWorkingDays: 0,
        clockRunningSince: null,
        rejectionReason: null,
        submittedAt: null,
        decidedAt: null,
        approvedBy: null,
        createdAt: now,
        updatedAt: now,
      });
      await m.save(ApplicationEntity, application);
      await rememberIdempotencyKey(m, ctx.principal.personId, key, 'create', requestHash, application.id, now);
      await this.record(m, ctx, application, 'create', 'applicant', null, now);
      return application.id;
    });
    return this.get(ctx.principal, id);
  }

  /** Replaces the form of a draft (or of an application sent back for supplements). */
  async updateForm(ctx: RequestContext, id: string, form: Record<string, unknown>): Promise<ApplicationView> {
    await this.dataSource.transaction(async (m) => {
      const { application, version } = await this.lockForTransition(m, id, ctx.principal, 'applicant');
      if (!isEditable(application.status)) throw stateConflict(application, 'edit');
      const merged = this.keepMaskedValues(version, this.decryptForm(application), form);
      this.types.validateForm(version, merged, { draft: true });
      application.formEnc = this.encryptForm(merged);
      application.updatedAt = this.clock.now();
      await m.save(ApplicationEntity, application);
    });
    return this.get(ctx.principal, id);
  }

  /**
   * Adds one file to a material. The file is inspected (by content) and stored before the short
   * transaction that records it; if that transaction refuses, the stored copy is removed again.
   */
  async addMaterial(
    ctx: RequestContext,
    id: string,
    upload: { key: string; fileName: string | undefined; bytes: Buffer },
  ): Promise<MaterialView> {
    const requirement = this.assertMayUpload(await this.loadVisible(id, ctx.principal), ctx.principal, upload.key);
    const inspected = await inspectMaterial(upload.bytes, {
      accepts: requirement.accepts,
      maxBytes: this.materialsConfig.maxBytes,
    });
    const materialId = randomUUID();
    const storageKey = `materials/${id}/${materialId}.${inspected.extension}`;
    await this.storage.put(storageKey, inspected.bytes, inspected.contentType);
    try {
      const saved = await this.dataSource.transaction(async (m) => {
        const { application, version } = await this.lockForTransition(m, id, ctx.principal, 'applicant');
        this.assertMayUpload({ application, version }, ctx.principal, upload.key);
        const existing = await m.find(ApplicationMaterialEntity, { where: { applicationId: id } });
        // The limit counts the files of the round being prepared: a supplement may replace them all.
        const pending = existing.filter((e) => e.requirementKey === upload.key && e.round === application.round + 1);
        if (pending.length >= requirement.maxFiles || existing.length >= this.materialsConfig.maxFiles) {
          throw new ApplicationException(ApplicationErrorCode.MaterialsTooMany, {
            key: upload.key,
            maxFiles: requirement.maxFiles,
            maxFilesPerApplication: this.materialsConfig.maxFiles,
          });
        }
        const material = m.create(ApplicationMaterialEntity, {
          id: materialId,
          applicationId: id,
          requirementKey: upload.key,
          round: application.round + 1,
          fileName: sanitizeFileName(upload.fileName, inspected.extension),
          kind: inspected.kind,
          contentType: inspected.contentType,
          sizeBytes: inspected.bytes.length,
          sha256: createHash('sha256').update(inspected.bytes).digest('hex'),
          storageKey,
          uploadedBy: ctx.principal.personId,
          createdAt: this.clock.now(),
        });
        await m.save(ApplicationMaterialEntity, material);
        await this.auditApplication(m, ctx, application, 'material.add', {
          materialId,
          key: upload.key,
          sha256: material.sha256,
          sizeBytes: material.sizeBytes,
        });
        return material;
      });
      return this.materialView(saved, saved.round);
    } catch (error) {
      await this.storage.delete(storageKey).catch(() => undefined);
      throw error;
    }
  }

  /** Removes a file uploaded for the round being prepared; what a reviewer has seen stays. */
  async removeMaterial(ctx: RequestContext, id: string, materialId: string): Promise<void> {
    const storageKey = await this.dataSource.transaction(async (m) => {
      const { application } = await this.lockForTransition(m, id, ctx.principal, 'applicant');
      if (!isEditable(application.status)) throw stateConflict(application, 'upload');
      const material = await m.findOneBy(ApplicationMaterialEntity, { id: materialId, applicationId: id });
      if (!material) throw new ApplicationException(ApplicationErrorCode.MaterialNotFound, { materialId });
      if (material.round !== application.round + 1) {
        throw new ApplicationException(ApplicationErrorCode.MaterialLocked, { materialId, round: material.round });
      }
      await m.delete(ApplicationMaterialEntity, { id: materialId });
      await this.auditApplication(m, ctx, application, 'material.remove', {
        materialId,
        key: material.requirementKey,
      });
      return material.storageKey;
    });
    await this.storage.delete(storageKey).catch((error: unknown) => {
      this.logger.warn(`material ${materialId} removed, its file stays: ${(error as Error).message}`);
    });
  }

  async materialContent(
    principal: PersonPrincipal,
    id: string,
    materialId: string,
  ): Promise<{ bytes: Buffer; contentType: string; fileName: string }> {
    await this.loadVisible(id, principal);
    const material = await this.dataSource
      .getRepository(ApplicationMaterialEntity)
      .findOneBy({ id: materialId, applicationId: id });
    if (!material) throw new ApplicationException(ApplicationErrorCode.MaterialNotFound, { materialId });
    return {
      bytes: await this.storage.get(material.storageKey),
      contentType: material.contentType,
      fileName: material.fileName,
    };
  }

  async submit(ctx: RequestContext, id: string): Promise<ApplicationView> {
    return this.transition(ctx, id, 'submit', 'applicant', async (m, { application, version, now, today }) => {
      const form = this.decryptForm(application);
      this.types.validateForm(version, form);
      await this.assertRequiredMaterials(m, application, version);
      Object.assign(application, clockColumns(startClock(application.timeLimitWorkingDays, today)));
      application.submittedAt = now;
      await startRound(m, application, now);
    });
  }

  async resubmit(ctx: RequestContext, id: string): Promise<ApplicationView> {
    return this.transition(ctx, id, 'resubmit', 'applicant', async (m, { application, version, now, today }) => {
      this.types.validateForm(version, this.decryptForm(application));
      const request = await m.findOneByOrFail(SupplementRequestEntity, { applicationId: id, round: application.round });
      const fresh = await m.find(ApplicationMaterialEntity, {
        where: { applicationId: id, round: application.round + 1 },
      });
      const unanswered = request.items.filter((item) => !fresh.some((f) => f.requirementKey === item.materialKey));
      if (unanswered.length > 0) {
        throw new ApplicationException(ApplicationErrorCode.SupplementUnanswered, {
          unanswered: unanswered.map(({ materialKey, materialName }) => ({ materialKey, materialName })),
        });
      }
      await this.assertRequiredMaterials(m, application, version);
      request.answeredAt = now;
      await m.save(SupplementRequestEntity, request);
      await startRound(m, application, now);
      Object.assign(application, clockColumns(resumeClock(clockOf(application), today)));
    });
  }

  async withdraw(ctx: RequestContext, id: string): Promise<ApplicationView> {
    return this.transition(ctx, id, 'withdraw', 'applicant', async (_m, context) => {
      stopClockOf(context);
    });
  }

  // ---------------------------------------------------------------- the committee's side

  async accept(ctx: RequestContext, id: string): Promise<ApplicationView> {
    return this.transition(ctx, id, 'accept', 'reviewer', async () => undefined);
  }

  async requestSupplement(
    ctx: RequestContext,
    id: string,
    input: { items: { materialKey: string; reason: string }[]; note?: string },
  ): Promise<ApplicationView> {
    return this.transition(
      ctx,
      id,
      'request_supplement',
      'reviewer',
      async (m, { application, version, now, today, calendar }) => {
        const keys = input.items.map((i) => i.materialKey);
        const unknown = keys.filter((k) => !version.materials.some((r) => r.key === k));
        const duplicate = new Set(keys).size !== keys.length;
        if (input.items.length === 0 || unknown.length > 0 || duplicate) {
          throw new ApplicationException(ApplicationErrorCode.SupplementInvalid, { unknownKeys: unknown, duplicate });
        }
        const items: SupplementItem[] = input.items.map((i) => ({
          materialKey: i.materialKey,
          materialName: requirementOf(version, i.materialKey).name,
          reason: i.reason.trim(),
        }));
        await m.insert(SupplementRequestEntity, {
          applicationId: id,
          round: application.round,
          items,
          note: input.note?.trim() || null,
          requestedBy: ctx.principal.personId,
          requestedAt: now,
        });
        Object.assign(application, clockColumns(pauseClock(clockOf(application), today, calendar)));
        const note = input.note?.trim();
        return [...items.map((i) => `${i.materialName}：${i.reason}`), ...(note ? [note] : [])].join('；');
      },
      input,
    );
  }

  async reject(ctx: RequestContext, id: string, reason: string): Promise<ApplicationView> {
    return this.transition(
      ctx,
      id,
      'reject',
      'reviewer',
      async (_m, context) => {
        context.application.rejectionReason = reason.trim();
        context.application.decidedAt = context.now;
        stopClockOf(context);
        return context.application.rejectionReason;
      },
      { reason },
    );
  }

  /**
   * Approval: the application waits as 出证中 while the outbox row it writes waits for the signing
   * step, which issues the certificate. The row's dedupe key makes a second approval row impossible.
   */
  async approve(ctx: RequestContext, id: string, comment?: string): Promise<ApplicationView> {
    return this.transition(
      ctx,
      id,
      'approve',
      'approver',
      async (m, context) => {
        const { application } = context;
        application.decidedAt = context.now;
        application.approvedBy = ctx.principal.personId;
        stopClockOf(context);
        await this.outbox.add(m, {
          topic: ISSUE_CERTIFICATE_TOPIC,
          aggregateId: application.id,
          payload: { applicationId: application.id, approvedBy: ctx.principal.personId },
          dedupeKey: `${ISSUE_CERTIFICATE_TOPIC}:${application.id}`,
        });
        return comment?.trim() || null;
      },
      { comment },
    );
  }

  /**
   * The system's step of the life cycle, inside the issuer's transaction: marks applications issued,
   * each with its timeline entry, audit record and the resident's notice. Returns the ids it marked;
   * one left out was issued already (a retry after a crash, or a concurrent run), so the caller keeps
   * exactly one certificate. Each application is the caller's copy, read while it was approved: the
   * state machine lets an approved application change only by this step, so the copy is current but
   * for its status, and one conditional update both checks and moves them all (a concurrent run waits
   * for the rows and then finds them issued). One neither approved nor issued throws, and nothing is marked.
   */
  async markIssued(
    m: EntityManager,
    issued: readonly { application: ApplicationEntity; certificate: { id: string; number: string } }[],
  ): Promise<Set<string>> {
    const now = this.clock.now();
    const status = nextStatus('approved', 'issue', 'system');
    const ids = issued.map(({ application }) => application.id);
    const [moved] = (await m.query(
      `UPDATE applications SET status = $1, updated_at = $2 WHERE id = ANY($3::uuid[]) AND status = 'approved' RETURNING id`,
      [status, now, ids],
    )) as [{ id: string }[], number];
    const marked = new Set(moved.map((row) => row.id));
    const others = ids.filter((id) => !marked.has(id));
    if (others.length > 0) {
      const found = await m.find(ApplicationEntity, { where: { id: In(others) }, select: { id: true, status: true } });
      for (const id of others) {
        const current = found.find((application) => application.id === id);
        if (!current) throw new ApplicationException(ApplicationErrorCode.NotFound, { id });
        if (current.status !== 'issued') throw stateConflict(current, 'issue');
      }
    }
    const steps = issued.filter(({ application }) => marked.has(application.id));
    for (const { application } of steps) Object.assign(application, { status, updatedAt: now });
    await this.recordAll(
      m,
      SYSTEM,
      steps.map(({ application, certificate }) => ({
        application,
        note: `证明编号 ${certificate.number}`,
        details: { certificateId: certificate.id },
      })),
      'issue',
      'system',
      now,
    );
    const notices: NewNotification[] = [];
    for (const { application } of steps) {
      const version = await this.types.version(application.typeVersionId, m);
      notices.push(...(await this.noticesOf(m, application, version, 'issue')));
    }
    await this.notifications.notify(m, ...notices);
    return marked;
  }

  // ---------------------------------------------------------------- reading

  /** Throws APPLICATION_NOT_FOUND unless the principal may see the application; others' ids reveal nothing. */
  async assertVisible(principal: PersonPrincipal, id: string): Promise<void> {
    await this.loadVisible(id, principal);
  }

  async get(principal: PersonPrincipal, id: string): Promise<ApplicationView> {
    const loaded = await this.loadVisible(id, principal);
    return this.view(principal, loaded);
  }

  /** The caller's own applications, newest first. */
  async listMine(principal: PersonPrincipal, cursor: string | undefined, limit: number): Promise<ApplicationPage> {
    const qb = this.dataSource
      .getRepository(ApplicationEntity)
      .createQueryBuilder('a')
      .where('a.applicant_id = :personId', { personId: principal.personId });
    if (cursor) {
      const after = decodeCursor(cursor);
      qb.andWhere('(a.created_at, a.id) < (:at, :id)', after);
    }
    const rows = await qb
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit + 1)
      .getMany();
    return this.page(rows, limit, (last) => encodeCursor(last.createdAt, last.id));
  }

  /**
   * The review queue: open applications of the committees the caller works for, oldest submission
   * first, one keyset page at a time (an index range scan, never a sort of the whole table).
   */
  async queue(principal: PersonPrincipal, query: QueueQuery): Promise<ApplicationPage> {
    const committeeIds = await this.queueCommittees(principal, query.committeeCode);
    const statuses = query.status ? [query.status] : ['submitted', 'in_review'];
    const qb = this.dataSource
      .getRepository(ApplicationEntity)
      .createQueryBuilder('a')
      .where('a.committee_id IN (:...committeeIds)', { committeeIds })
      .andWhere('a.status IN (:...statuses)', { statuses });
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      qb.andWhere('(a.submitted_at, a.id) > (:at, :id)', after);
    }
    const rows = await qb
      .orderBy('a.submitted_at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .limit(query.limit + 1)
      .getMany();
    return this.page(rows, query.limit, (last) => encodeCursor(last.submittedAt!, last.id));
  }

  // ---------------------------------------------------------------- internals

  private async transition(
    ctx: RequestContext,
    id: string,
    action: ApplicationAction,
    role: 'applicant' | 'reviewer' | 'approver',
    /** Does the action's own work; what it returns is the timeline note the resident sees. */
    apply: (m: EntityManager, context: TransitionContext) => Promise<string | null | void>,
    request: unknown = null,
  ): Promise<ApplicationView> {
    const requestHash = hashRequest({ action, id, request });
    const calendar = await this.calendar.calendar();
    const now = this.clock.now();
    const today = shanghaiDate(now);
    await this.dataSource.transaction(async (m) => {
      if (ctx.idempotencyKey) {
        const key = requireIdempotencyKey(ctx.idempotencyKey);
        if (await this.replayed(m, ctx.principal.personId, key, action, requestHash)) return;
        await rememberIdempotencyKey(m, ctx.principal.personId, key, action, requestHash, id, now);
      }
      const loaded = { ...(await this.lockForTransition(m, id, ctx.principal, role)), calendar, now, today };
      const { application } = loaded;
      const actor = this.actorOf(ctx.principal, application, role);
      // A reviewer deciding on an application nobody has accepted yet accepts it in the same step.
      if (action !== 'accept' && role !== 'applicant' && application.status === 'submitted') {
        this.move(application, 'accept', actor);
        await this.record(m, ctx, application, 'accept', actor, null, now);
        await this.notify(m, application, loaded.version, 'accept');
      }
      this.move(application, action, actor);
      const note = (await apply(m, loaded)) ?? null;
      application.updatedAt = now;
      await m.save(ApplicationEntity, application);
      await this.record(m, ctx, application, action, actor, note, now);
      await this.notify(m, application, loaded.version, action);
    });
    return this.get(ctx.principal, id);
  }

  private move(application: ApplicationEntity, action: ApplicationAction, actor: ApplicationActor): void {
    try {
      application.status = nextStatus(application.status, action, actor);
    } catch (error) {
      if (!(error instanceof TransitionRefused)) throw error;
      if (error.reason === 'wrong-actor') throw new IdentityException(IdentityErrorCode.Forbidden, { action });
      throw stateConflict(application, action);
    }
  }

  /**
   * Locks the application row (and only it) for the rest of the transaction, then checks that the
   * caller may act on it in the given role. A second caller waits here and then sees the new state.
   */
  private async lockForTransition(
    m: EntityManager,
    id: string,
    principal: PersonPrincipal,
    role: 'applicant' | 'reviewer' | 'approver',
  ): Promise<Loaded> {
    const application = await lockApplication(m, id);
    if (!application) throw new ApplicationException(ApplicationErrorCode.NotFound, { id });
    this.authorize(principal, application, role);
    return { application, version: await this.types.version(application.typeVersionId, m) };
  }

  private authorize(
    principal: PersonPrincipal,
    application: ApplicationEntity,
    role: 'applicant' | 'reviewer' | 'approver' | 'reader',
  ): void {
    const place = placeOf(application);
    const isOwner = application.applicantId === principal.personId;
    const allowed =
      role === 'applicant'
        ? isOwner
        : role === 'reader'
          ? isOwner || reaches(principal, place, READ_ROLES)
          : reaches(principal, place, role === 'approver' ? [StaffRole.Approver] : REVIEW_ROLES);
    if (allowed) return;
    if (reaches(principal, place, READ_ROLES)) {
      // Someone who may see it, but not in this role (a supervisor, the admin, a clerk approving).
      throw new IdentityException(IdentityErrorCode.Forbidden, { role });
    }
    if (principal.roles.length > 0 && !isOwner) {
      throw new IdentityException(IdentityErrorCode.OutOfScope, { application: application.id });
    }
    // To residents, someone else's application does not exist.
    throw new ApplicationException(ApplicationErrorCode.NotFound, { id: application.id });
  }

  private actorOf(
    principal: PersonPrincipal,
    application: ApplicationEntity,
    role: 'applicant' | 'reviewer' | 'approver',
  ): ApplicationActor {
    return role === 'applicant' ? 'applicant' : reviewerOf(principal, application);
  }

  private async loadVisible(id: string, principal: PersonPrincipal): Promise<Loaded> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new ApplicationException(ApplicationErrorCode.NotFound, { id });
    const application = await this.dataSource.getRepository(ApplicationEntity).findOneBy({ id });
    if (!application) throw new ApplicationException(ApplicationErrorCode.NotFound, { id });
    this.authorize(principal, application, 'reader');
    return { application, version: await this.types.version(application.typeVersionId) };
  }

  /** The requirement the file is for, once the caller may add files to it now. */
  private assertMayUpload(
    { application, version }: Loaded,
    principal: PersonPrincipal,
    key: string,
  ): MaterialRequirement {
    this.authorize(principal, application, 'applicant');
    if (!isEditable(application.status)) throw stateConflict(application, 'upload');
    return requirementOf(version, key);
  }

  private async assertRequiredMaterials(
    m: EntityManager,
    application: ApplicationEntity,
    version: CertificateTypeVersionEntity,
  ): Promise<void> {
    const materials = await m.find(ApplicationMaterialEntity, { where: { applicationId: application.id } });
    const missing = version.materials.filter((r) => r.required && !materials.some((x) => x.requirementKey === r.key));
    if (missing.length > 0) {
      throw new ApplicationException(ApplicationErrorCode.MaterialsMissing, {
        missing: missing.map(({ key, name }) => ({ key, name })),
      });
    }
  }

  private async replayed(
    m: EntityManager,
    principalId: string,
    key: string,
    scope: string,
    requestHash: string,
  ): Promise<string | null> {
    // Two requests with one key arrive together: the second waits here for the first to commit.
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`idempotency:${principalId}:${key}`]);
    const previous = await m.findOneBy(IdempotencyKeyEntity, { principalId, key });
    if (!previous) return null;
    if (previous.scope !== scope || previous.requestHash !== requestHash) {
      throw new ApplicationException(ApplicationErrorCode.IdempotencyKeyReused, { scope: previous.scope });
    }
    return previous.applicationId;
  }

  /** The timeline entry and the audit record of a step, in the caller's transaction. */
  private async record(
    m: EntityManager,
    ctx: RequestContext | typeof SYSTEM,
    application: ApplicationEntity,
    action: ApplicationAction | 'create',
    actor: ApplicationActor,
    note: string | null,
    at: Date,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.recordAll(m, ctx, [{ application, note, details }], action, actor, at);
  }

  /** The timeline entries and audit records of one step taken on several applications: one insert each. */
  private async recordAll(
    m: EntityManager,
    ctx: RequestContext | typeof SYSTEM,
    steps: readonly { application: ApplicationEntity; note: string | null; details?: Record<string, unknown> }[],
    action: ApplicationAction | 'create',
    actor: ApplicationActor,
    at: Date,
  ): Promise<void> {
    if (steps.length === 0) return;
    await m.insert(
      ApplicationEventEntity,
      steps.map(({ application, note }) => ({
        applicationId: application.id,
        action,
        toStatus: application.status,
        actorRole: actor,
        actorId: ctx === SYSTEM ? null : ctx.principal.personId,
        note,
        occurredAt: at,
      })),
    );
    await this.audit.appendAll(
      steps.map(({ application, details }) =>
        this.auditEntry(ctx, application, action, {
          status: application.status,
          round: application.round,
          as: actor,
          ...details,
        }),
      ),
      m,
    );
  }

  /** One audit record about an application, in the caller's transaction; ids only, never personal data. */
  private async auditApplication(
    m: EntityManager,
    ctx: RequestContext | typeof SYSTEM,
    application: ApplicationEntity,
    action: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.append(this.auditEntry(ctx, application, action, details), m);
  }

  /** One audit record about an application; ids only, never personal data. */
  private auditEntry(
    ctx: RequestContext | typeof SYSTEM,
    application: ApplicationEntity,
    action: string,
    details: Record<string, unknown>,
  ): AuditEntry {
    return {
      actor: ctx === SYSTEM ? { type: 'system' } : { type: 'person', id: ctx.principal.personId },
      action: `application.${action}`,
      object: { type: 'application', id: application.id },
      organizationId: application.committeeId,
      requestId: ctx === SYSTEM ? null : (ctx.requestId ?? null),
      details,
    };
  }

  private async notify(
    m: EntityManager,
    application: ApplicationEntity,
    version: CertificateTypeVersionEntity,
    action: ApplicationAction,
  ): Promise<void> {
    await this.notifications.notify(m, ...(await this.noticesOf(m, application, version, action)));
  }

  /** The messages a step sends: to the resident (with a text message where a number is known), to the committee. */
  private async noticesOf(
    m: EntityManager,
    application: ApplicationEntity,
    version: CertificateTypeVersionEntity,
    action: ApplicationAction,
  ): Promise<NewNotification[]> {
    // Every notice names the committee: from the names kept a few minutes, not a query per notice.
    const committee = await this.organizations.one(application.committeeId, m);
    const supplement =
      action === 'request_supplement'
        ? await m.findOneBy(SupplementRequestEntity, { applicationId: application.id, round: application.round })
        : null;
    const message = messageFor(action, {
      typeName: version.name,
      referenceNo: application.referenceNo,
      committeeName: committee.name,
      applicantName: application.applicantNameMasked,
      limitWorkingDays: application.timeLimitWorkingDays,
      reason: application.rejectionReason,
      materials: supplement?.items.map((i) => i.materialName) ?? [],
    });
    const notices: NewNotification[] = [];
    if (message.resident) {
      // The contact number given on the form, else the one the identity platform vouched for.
      const form = this.decryptForm(application);
      let phone = typeof form.phone === 'string' && isMobilePhoneNumber(form.phone) ? form.phone : null;
      if (!phone) {
        const person = await this.people.get(application.applicantId, m);
        phone = person.phoneEncrypted ? this.cipher.decrypt('phone', person.phoneEncrypted) : null;
      }
      notices.push({
        recipientPersonId: application.applicantId,
        applicationId: application.id,
        event: action,
        ...message.resident,
        smsTo: phone,
      });
    }
    if (message.committee) {
      notices.push({
        recipientOrganizationId: application.committeeId,
        applicationId: application.id,
        event: action,
        ...message.committee,
      });
    }
    return notices;
  }

  private async view(principal: PersonPrincipal, { application, version }: Loaded): Promise<ApplicationView> {
    const [committee, materials, supplement, events, rounds, calendar, today] = await Promise.all([
      this.dataSource.getRepository(OrganizationEntity).findOneByOrFail({ id: application.committeeId }),
      this.dataSource.getRepository(ApplicationMaterialEntity).find({
        where: { applicationId: application.id },
        order: { createdAt: 'ASC' },
      }),
      this.dataSource.getRepository(SupplementRequestEntity).findOne({
        where: { applicationId: application.id },
        order: { round: 'DESC' },
      }),
      this.dataSource.getRepository(ApplicationEventEntity).find({
        where: { applicationId: application.id },
        order: { seq: 'ASC' },
      }),
      application.round > 1
        ? this.dataSource.getRepository(ApplicationRoundEntity).find({
            where: { applicationId: application.id, round: In([application.round - 1, application.round]) },
          })
        : Promise.resolve([]),
      this.calendar.calendar(),
      this.calendar.today(),
    ]);
    const form = this.decryptForm(application);
    const isOwner = application.applicantId === principal.personId;
    const isReviewer = reaches(principal, placeOf(application), READ_ROLES);
    return {
      id: application.id,
      referenceNo: application.referenceNo,
      status: application.status,
      statusName: STATUS_NAMES[application.status],
      type: { code: application.typeCode, name: version.name, version: version.version },
      committee: { code: committee.code, name: committee.name },
      applicant: { name: application.applicantNameMasked, isCaller: isOwner },
      form: this.maskForm(version, form),
      formSchema: version.formSchema,
      materialRequirements: version.materials,
      materials: materials.map((x) => this.materialView(x, application.round)),
      round: application.round,
      supplementRequest: supplement ? supplementView(supplement) : null,
      changesSinceLastRound:
        isReviewer && rounds.length === 2 ? this.changes(version, rounds, materials, application) : null,
      rejectionReason: application.rejectionReason,
      timeline: events.map((e) => ({
        at: e.occurredAt,
        action: e.action,
        actionName: ACTION_NAMES[e.action as ApplicationAction] ?? e.action,
        status: e.toStatus,
        statusName: STATUS_NAMES[e.toStatus],
        actor: ACTOR_NAMES[e.actorRole as ApplicationActor] ?? e.actorRole,
        note: e.note,
      })),
      clock: clockShown(application) ? readClock(clockOf(application), today, calendar) : null,
      allowedActions: this.allowedActions(principal, application, isOwner),
      createdAt: application.createdAt,
      updatedAt: application.updatedAt,
      submittedAt: application.submittedAt,
    };
  }

  private allowedActions(principal: PersonPrincipal, application: ApplicationEntity, isOwner: boolean): ViewAction[] {
    const actions: ViewAction[] = [];
    const status = application.status;
    if (isOwner) {
      if (isEditable(status)) actions.push('edit', 'upload');
      for (const action of ['submit', 'resubmit', 'withdraw'] as const) {
        if (canTake(status, action, 'applicant')) actions.push(action);
      }
    }
    if (reaches(principal, placeOf(application), REVIEW_ROLES)) {
      const actor = reviewerOf(principal, application);
      // Deciding on a submitted application accepts it in the same step (see `transition`).
      const from = status === 'submitted' ? 'in_review' : status;
      if (canTake(status, 'accept', actor)) actions.push('accept');
      for (const action of ['request_supplement', 'reject', 'approve'] as const) {
        if (canTake(from, action, actor)) actions.push(action);
      }
    }
    return actions;
  }

  private changes(
    version: CertificateTypeVersionEntity,
    rounds: ApplicationRoundEntity[],
    materials: ApplicationMaterialEntity[],
    application: ApplicationEntity,
  ): ApplicationView['changesSinceLastRound'] {
    const previous = rounds.find((r) => r.round === application.round - 1);
    const current = rounds.find((r) => r.round === application.round);
    if (!previous || !current) return null;
    const before = JSON.parse(this.cipher.decrypt('form', previous.formEnc)) as Record<string, unknown>;
    const after = JSON.parse(this.cipher.decrypt('form', current.formEnc)) as Record<string, unknown>;
    const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
      (field) => stringify(before[field]) !== stringify(after[field]),
    );
    return {
      formFields: fields.map((field) => ({
        field,
        title: String((version.formSchema.properties[field] as { title?: string } | undefined)?.title ?? field),
      })),
      materials: materials.filter((x) => x.round === application.round).map((x) => x.id),
    };
  }

  private materialView(material: ApplicationMaterialEntity, currentRound: number): MaterialView {
    return {
      id: material.id,
      key: material.requirementKey,
      fileName: material.fileName,
      kind: material.kind,
      contentType: material.contentType,
      sizeBytes: material.sizeBytes,
      round: material.round,
      uploadedAt: material.createdAt,
      contentUrl: `/api/applications/${material.applicationId}/materials/${material.id}/content`,
      isNew: currentRound > 1 && material.round === currentRound,
    };
  }

  private async page(
    rows: ApplicationEntity[],
    limit: number,
    cursorOf: (last: ApplicationEntity) => string,
  ): Promise<ApplicationPage> {
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    const [calendar, today] = await Promise.all([this.calendar.calendar(), this.calendar.today()]);
    const versionIds = [...new Set(items.map((a) => a.typeVersionId))];
    const committeeIds = [...new Set(items.map((a) => a.committeeId))];
    const [versions, committees] = await Promise.all([
      Promise.all(versionIds.map((v) => this.types.version(v))),
      committeeIds.length
        ? this.dataSource.getRepository(OrganizationEntity).findBy({ id: In(committeeIds) })
        : Promise.resolve([]),
    ]);
    const summaries: ApplicationSummary[] = items.map((a) => {
      const version = versions.find((v) => v.id === a.typeVersionId)!;
      const committee = committees.find((c) => c.id === a.committeeId)!;
      return {
        id: a.id,
        referenceNo: a.referenceNo,
        status: a.status,
        statusName: STATUS_NAMES[a.status],
        type: { code: a.typeCode, name: version.name },
        committee: { code: committee.code, name: committee.name },
        applicantName: a.applicantNameMasked,
        submittedAt: a.submittedAt,
        updatedAt: a.updatedAt,
        clock: clockShown(a) ? readClock(clockOf(a), today, calendar) : null,
      };
    });
    return { items: summaries, nextCursor: more ? cursorOf(items[items.length - 1]) : null };
  }

  /** The committees whose queue the caller may read: their own, their town's, or any for the admin. */
  private async queueCommittees(principal: PersonPrincipal, committeeCode?: string): Promise<string[]> {
    const organizations = this.dataSource.getRepository(OrganizationEntity);
    if (committeeCode) {
      const committee = await organizations.findOneBy({ code: committeeCode, level: 'committee' });
      if (!committee) throw new ApplicationException(ApplicationErrorCode.CommitteeInvalid, { committeeCode });
      if (!reaches(principal, committee, READ_ROLES)) {
        throw new IdentityException(IdentityErrorCode.OutOfScope, { committee: committeeCode });
      }
      return [committee.id];
    }
    const ids = new Set<string>();
    for (const grant of principal.roles) {
      if (grant.organization.level === 'committee') ids.add(grant.organization.id);
      else if (grant.role === StaffRole.Supervisor) {
        for (const c of await organizations.findBy({ parentId: grant.organization.id })) ids.add(c.id);
      }
    }
    if (ids.size === 0) {
      // The district admin names a committee; a queue of all 366 at once helps nobody.
      throw new IdentityException(IdentityErrorCode.Forbidden, { queue: 'name a committee with ?committee=' });
    }
    return [...ids];
  }

  private prefilledForm(
    version: CertificateTypeVersionEntity,
    person: { name: string; idNumberEncrypted: string; phoneEncrypted: string | null },
  ): Record<string, unknown> {
    const properties = version.formSchema.properties;
    const form: Record<string, unknown> = {};
    if ('applicantName' in properties) form.applicantName = person.name;
    if ('idNumber' in properties) form.idNumber = this.cipher.decrypt('idNumber', person.idNumberEncrypted);
    if ('phone' in properties && person.phoneEncrypted)
      form.phone = this.cipher.decrypt('phone', person.phoneEncrypted);
    return form;
  }

  private maskForm(version: CertificateTypeVersionEntity, form: Record<string, unknown>): Record<string, unknown> {
    const masked = { ...form };
    for (const { field, kind } of personalFieldsOf(version.formSchema)) {
      if (typeof masked[field] === 'string') {
        masked[field] = kind === 'idNumber' ? maskIdNumber(masked[field]) : maskPhone(masked[field]);
      }
    }
    return masked;
  }

  /** A masked value sent back unchanged (the screen showed it masked) keeps the stored value. */
  private keepMaskedValues(
    version: CertificateTypeVersionEntity,
    stored: Record<string, unknown>,
    incoming: Record<string, unknown>,
  ): Record<string, unknown> {
    const merged = { ...incoming };
    const masked = this.maskForm(version, stored);
    for (const { field } of personalFieldsOf(version.formSchema)) {
      if (merged[field] !== undefined && merged[field] === masked[field] && stored[field] !== undefined) {
        merged[field] = stored[field];
      }
    }
    return merged;
  }

  private encryptForm(form: Record<string, unknown>): string {
    return this.cipher.encrypt('form', JSON.stringify(form));
  }

  private decryptForm(application: ApplicationEntity): Record<string, unknown> {
    return JSON.parse(this.cipher.decrypt('form', application.formEnc)) as Record<string, unknown>;
  }
}

/** Where an application sits, for the object-level checks of `reaches`. */
function placeOf(application: ApplicationEntity): { id: string; parentId: string } {
  return { id: application.committeeId, parentId: application.townId };
}

/** The part a reviewer of the application's committee plays: an approver may do all a clerk may. */
function reviewerOf(principal: PersonPrincipal, application: ApplicationEntity): ApplicationActor {
  return reaches(principal, placeOf(application), [StaffRole.Approver]) ? 'approver' : 'clerk';
}

function requirementOf(version: CertificateTypeVersionEntity, key: string): MaterialRequirement {
  const requirement = version.materials.find((r) => r.key === key);
  if (!requirement) {
    throw new ApplicationException(ApplicationErrorCode.MaterialKeyUnknown, {
      key,
      known: version.materials.map((r) => r.key),
    });
  }
  return requirement;
}

function stateConflict(application: ApplicationEntity, action: string): ApplicationException {
  const reviewerAction = ['accept', 'request_supplement', 'reject', 'approve'].includes(action);
  const handled =
    reviewerAction && (DECIDED_STATUSES.includes(application.status) || application.status === 'supplement_requested');
  return new ApplicationException(handled ? ApplicationErrorCode.AlreadyHandled : ApplicationErrorCode.StateConflict, {
    action,
    status: application.status,
    statusName: STATUS_NAMES[application.status],
  });
}

function supplementView(request: SupplementRequestEntity): SupplementRequestView {
  return {
    round: request.round,
    note: request.note,
    requestedAt: request.requestedAt,
    answeredAt: request.answeredAt,
    items: request.items,
  };
}

function stopClockOf({ application, today, calendar }: TransitionContext): void {
  if (!application.clockRunningSince) return;
  Object.assign(application, clockColumns(stopClock(clockOf(application), today, calendar)));
}

/** The time limit matters while the application is with the committee or waiting for supplements. */
function clockShown(application: ApplicationEntity): boolean {
  return ['submitted', 'in_review', 'supplement_requested'].includes(application.status);
}

/** The next submission round, with the form as submitted, which the reviewer later compares against. */
async function startRound(m: EntityManager, application: ApplicationEntity, at: Date): Promise<void> {
  application.round += 1;
  await m.insert(ApplicationRoundEntity, {
    applicationId: application.id,
    round: application.round,
    formEnc: application.formEnc,
    submittedAt: at,
  });
}

function clockOf(application: ApplicationEntity): ClockState {
  return {
    limitWorkingDays: application.timeLimitWorkingDays,
    usedWorkingDays: application.clockUsedWorkingDays,
    runningSince: application.clockRunningSince,
  };
}

function clockColumns(state: ClockState): Pick<ApplicationEntity, 'clockUsedWorkingDays' | 'clockRunningSince'> {
  return { clockUsedWorkingDays: state.usedWorkingDays, clockRunningSince: state.runningSince };
}

/** Records the key with what it did, in the transaction that did it: a replay finds it, a crash leaves neither. */
async function rememberIdempotencyKey(
  m: EntityManager,
  principalId: string,
  key: string,
  scope: string,
  requestHash: string,
  applicationId: string,
  at: Date,
): Promise<void> {
  await m.insert(IdempotencyKeyEntity, { principalId, key, scope, requestHash, applicationId, createdAt: at });
}

function requireIdempotencyKey(key: string | undefined): string {
  if (key === undefined) throw new ApplicationException(ApplicationErrorCode.IdempotencyKeyRequired);
  if (!IDEMPOTENCY_KEY.test(key)) throw new ApplicationException(ApplicationErrorCode.IdempotencyKeyInvalid);
  return key;
}

function hashRequest(request: Record<string, unknown>): string {
  return createHash('sha256').update(stringify(request)!).digest('hex');
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  if (rest.length > 0 || Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id ?? '')) {
    throw new ApplicationException(ApplicationErrorCode.CursorInvalid);
  }
  return { at: date, id };
}

/**
 * Locks the application row, and only it, for the rest of the transaction: every step of the life
 * cycle (a person's or the issuer's) takes this lock first, so two steps on one application queue
 * up and the second sees the first one's result.
 */
export async function lockApplication(m: EntityManager, id: string): Promise<ApplicationEntity | null> {
  const [application] = await lockApplications(m, [id]);
  return application ?? null;
}

/** lockApplication for several rows, taken in id order so that two takers of overlapping sets cannot deadlock. */
export function lockApplications(m: EntityManager, ids: readonly string[]): Promise<ApplicationEntity[]> {
  return m
    .getRepository(ApplicationEntity)
    .createQueryBuilder('a')
    .setLock('pessimistic_write')
    .where('a.id IN (:...ids)', { ids })
    .orderBy('a.id')
    .getMany();
}
