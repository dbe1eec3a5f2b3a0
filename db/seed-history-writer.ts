import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import sharp from 'sharp';
import { DataSource, type EntitySubscriberInterface, type InsertEvent } from 'typeorm';
import {
  ApplicationsService,
  ISSUE_CERTIFICATE_TOPIC,
  shanghaiDate,
  type PlainDate,
  type RequestContext,
} from '@zhengming/applications';
import { AuditLog } from '@zhengming/audit';
import { CertificateEntity, CertificatesService } from '@zhengming/certificates';
import { ReplayClock } from '@zhengming/clock';
import {
  PeopleService,
  StaffRole,
  StaffService,
  VerifierSector,
  VerifiersService,
  type PersonPrincipal,
} from '@zhengming/identity';
import { OutboxMessageEntity, OutboxRelay } from '@zhengming/outbox';
import { idNumberCheckCharacter, PiiCipher } from '@zhengming/pii';
import { ReportRefreshService } from '@zhengming/reports';
import { ObjectStorage } from '@zhengming/storage';
import { PdfVerificationService, VerificationLog, VerificationService, type Verifier } from '@zhengming/verification';
import { runInTimeOrder } from './history-schedule';
import {
  historySteps,
  type HistoryCommittee,
  type HistoryPlan,
  type HistoryPlanOptions,
  type HistoryStep,
  type HistoryType,
  type PlannedApplication,
  type PlannedCheck,
  type Sector,
} from './seed-history';
import { seededRandom } from './seeded-random';

/** What the seed writes into the audit log first: the history that follows is made up, and when it was made. */
export const HISTORY_SEEDED_ACTION = 'history.seed';

export interface HistoryOutcome {
  applications: number;
  issued: number;
  rejected: number;
  withdrawn: number;
  supplementRounds: number;
  verifications: number;
  from: PlainDate;
  until: PlainDate;
}

export interface HistoryWriteOptions {
  /** Steps under way at once (of different applications). */
  concurrency: number;
  /** A line of progress, every few seconds and at the end. */
  log?: (line: string) => void;
  progressIntervalMs?: number;
}

/**
 * What a history is planned over: the active committees that have a seal to issue with (their towns'
 * codes weigh them), and the current version of each certificate type that issues numbered certificates.
 */
export async function historyInputs(
  dataSource: DataSource,
): Promise<{ committees: HistoryCommittee[]; types: HistoryType[] }> {
  const committees: HistoryCommittee[] = await dataSource.query(
    `SELECT c.id, c.code, t.code AS "townCode"
       FROM organizations c JOIN organizations t ON t.id = c.parent_id
      WHERE c.level = 'committee' AND c.active
        AND EXISTS (SELECT 1 FROM seals s WHERE s.organization_id = c.id AND s.status = 'active')
      ORDER BY c.code`,
  );
  const types: HistoryType[] = await dataSource.query(
    `SELECT t.code, v.time_limit_working_days AS "limit"
       FROM certificate_types t JOIN certificate_type_versions v ON v.type_id = t.id AND v.version = t.active_version
      WHERE v.number_code IS NOT NULL ORDER BY t.code`,
  );
  return { committees, types };
}

/** Another process took an outbox row the seed wrote: the system is running against this database. */
export class HistoryInterrupted extends Error {
  constructor(what: string) {
    super(
      `${what}: 另一个进程正在处理出证和短信任务，请先停止 npm start 和 worker (another process works the outbox: stop the system while seed:history runs)`,
    );
    this.name = 'HistoryInterrupted';
  }
}

const RESIDENTS = 1000;
const SURNAMES = '陈李黄张梁刘何罗钟赖朱曾';
const SUPPLEMENT_REASON = '照片不清晰，请重新上传';
const APPROVAL_COMMENT = '材料齐全，同意出具';
const REJECTION_REASON = '材料与实际情况不符';
const REVOCATION_REASON = '申请人信息有误，重新开具';
const INSTITUTIONS: readonly [VerifierSector, string][] = [
  [VerifierSector.Government, '（演示）增城区政务服务中心'],
  [VerifierSector.Bank, '（演示）增城农商银行'],
  [VerifierSector.School, '（演示）增城区第一小学'],
  [VerifierSector.Other, '（演示）增城供电局'],
];
const DAY = 86_400_000;

interface Resident {
  ctx: RequestContext;
  name: string;
  idNumber: string;
  phone: string;
}

interface CommitteeStaff {
  clerk: RequestContext;
  approver: RequestContext;
}

interface ApplicationFlow {
  kind: 'application';
  index: number;
  planned: PlannedApplication;
  applicationId?: string;
  /** The required materials of its type: what a supplement round asks for again. */
  materials?: string[];
  /** The issuing row its approval wrote, which its issue step works. */
  issueRow?: WrittenRow;
  certificate?: { id: string; number: string; code: string; storageKey: string };
}

interface StrayFlow {
  kind: 'stray';
  at: Date;
}

type Flow = ApplicationFlow | StrayFlow;
type Step = HistoryStep | { at: Date; kind: 'stray' };

type WrittenRow = Pick<OutboxMessageEntity, 'id' | 'topic'>;

/** The outbox rows written in one step, gathered as they are inserted (see HistoryWriter). */
class WrittenOutbox implements EntitySubscriberInterface<OutboxMessageEntity> {
  readonly rows = new AsyncLocalStorage<WrittenRow[]>();

  listenTo(): typeof OutboxMessageEntity {
    return OutboxMessageEntity;
  }

  afterInsert(event: InsertEvent<OutboxMessageEntity>): void {
    this.rows.getStore()?.push({ id: event.entity.id, topic: event.entity.topic });
  }
}

/**
 * Takes a planned history through the domain services, step by step in time order, the clock set to
 * each step's time: residents apply (draft, form, materials, submission), committee staff request
 * supplements, approve or reject, residents answer or withdraw; approvals are issued by the real
 * issuer from the outbox row they wrote, certificates revoked through the certificates service and
 * checked through the verification services (by number and code, by API, by uploading the PDF). Every
 * outbox row a step writes (the texts to residents, the issuing) is worked at that step's moment, so
 * nothing is left for a relay to do in the present; the statistics roll-ups are refreshed at the end.
 *
 * Before the history: the seed's own audit entry, 1,000 residents (valid, encrypted ID numbers),
 * a clerk and an approver for each committee that has applications (its own staff where it has any,
 * demo staff otherwise) and four verifying institutions.
 */
export async function writeHistory(
  app: INestApplicationContext,
  clock: ReplayClock,
  options: HistoryPlanOptions,
  plan: HistoryPlan,
  write: HistoryWriteOptions,
): Promise<HistoryOutcome> {
  return new HistoryWriter(app, clock, options, plan, write).write();
}

class HistoryWriter {
  private readonly dataSource: DataSource;
  private readonly applications: ApplicationsService;
  private readonly certificates: CertificatesService;
  private readonly relay: OutboxRelay;
  private readonly verification: VerificationService;
  private readonly pdfVerification: PdfVerificationService;
  private readonly storage: ObjectStorage;
  private readonly cipher: PiiCipher;
  private readonly written = new WrittenOutbox();
  private readonly random: () => number;
  private readonly sessionId = randomUUID();
  private readonly residents: Resident[] = [];
  private readonly staff = new Map<number, CommitteeStaff>();
  private readonly institutions = new Map<Sector, string>();
  private photo = Buffer.alloc(0);
  private lastNumber: string | undefined;
  /** For the progress lines: applications begun, steps taken of all, and the history's date reached. */
  private readonly progress = { drafted: 0, steps: 0, of: 0, reached: '' };
  private readonly outcome: HistoryOutcome;

  constructor(
    private readonly app: INestApplicationContext,
    /** The clock the services were given: each step runs at its own moment. */
    private readonly clock: ReplayClock,
    private readonly options: HistoryPlanOptions,
    private readonly plan: HistoryPlan,
    private readonly settings: HistoryWriteOptions,
  ) {
    this.dataSource = app.get(DataSource, { strict: false });
    this.applications = app.get(ApplicationsService, { strict: false });
    this.certificates = app.get(CertificatesService, { strict: false });
    this.relay = app.get(OutboxRelay, { strict: false });
    this.verification = app.get(VerificationService, { strict: false });
    this.pdfVerification = app.get(PdfVerificationService, { strict: false });
    this.storage = app.get(ObjectStorage, { strict: false });
    this.cipher = app.get(PiiCipher, { strict: false });
    this.random = seededRandom(options.seed ^ 0x5eed);
    this.outcome = {
      applications: plan.applications.length,
      issued: 0,
      rejected: 0,
      withdrawn: 0,
      supplementRounds: 0,
      verifications: 0,
      from: plan.applications[0] ? shanghaiDate(plan.applications[0].submittedAt) : options.until,
      until: options.until,
    };
  }

  async write(): Promise<HistoryOutcome> {
    this.dataSource.subscribers.push(this.written);
    await this.clock.at(new Date(), () =>
      this.app.get(AuditLog, { strict: false }).append({
        actor: { type: 'system' },
        action: HISTORY_SEEDED_ACTION,
        details: {
          seed: this.options.seed,
          years: this.options.years,
          perYear: this.options.perYear,
          from: this.outcome.from,
          until: this.options.until,
          applications: this.plan.applications.length,
        },
      }),
    );
    // The residents, staff and institutions are there from the morning before the first draft.
    const first = this.plan.applications.reduce((t, a) => Math.min(t, a.createdAt.getTime()), Date.now());
    const eve = shanghaiDate(new Date(first - DAY));
    await this.clock.at(new Date(`${eve}T09:00:00+08:00`), () => this.prepare());

    const flows: Flow[] = [
      ...this.plan.applications.map((planned, index): Flow => ({ kind: 'application', index, planned })),
      ...this.plan.strayChecks.map((at): Flow => ({ kind: 'stray', at })),
    ];
    this.progress.of = this.plan.applications.reduce(
      (n, a) => n + historySteps(a).length,
      this.plan.strayChecks.length,
    );
    const started = Date.now();
    const progress = setInterval(() => this.report(started), this.settings.progressIntervalMs ?? 5000);
    try {
      await runInTimeOrder<Flow, Step>({
        flows,
        startOf: (flow) => (flow.kind === 'application' ? flow.planned.createdAt : flow.at),
        stepsOf: (flow) => (flow.kind === 'stray' ? [{ at: flow.at, kind: 'stray' }] : historySteps(flow.planned)),
        run: (flow, step) => this.step(flow, step),
        concurrency: this.settings.concurrency,
      });
    } finally {
      clearInterval(progress);
    }
    this.report(started);
    await this.app.get(VerificationLog, { strict: false }).flush();

    this.settings.log?.('  recounting the statistics roll-ups…');
    const refresher = this.app.get(ReportRefreshService, { strict: false });
    while (!(await refresher.refresh()).ran) await new Promise((resolve) => setTimeout(resolve, 200));
    return this.outcome;
  }

  /** Applications begun so far, and the time left estimated from the steps taken (an application's last check may come weeks after it began). */
  private report(started: number): void {
    const { drafted, steps, of, reached } = this.progress;
    const seconds = (Date.now() - started) / 1000;
    const left = steps > 0 && steps < of ? `, about ${Math.round((seconds * (of - steps)) / steps)} s to go` : '';
    this.settings.log?.(
      `  ${drafted} / ${this.plan.applications.length} applications, ${this.outcome.issued} certificates, ` +
        `${(drafted / Math.max(seconds, 0.001)).toFixed(1)} applications/s, ${Math.round(seconds)} s${left}` +
        (reached ? ` (history at ${reached})` : ''),
    );
  }

  /** One step at its moment, and then the outbox rows it wrote (all but the issuing, which is a step of its own). */
  private async step(flow: Flow, step: Step): Promise<void> {
    try {
      await this.clock.at(step.at, () =>
        this.written.rows.run([], async () => {
          await this.take(flow, step);
          await this.workWritten(flow);
        }),
      );
    } catch (error) {
      if (error instanceof HistoryInterrupted || flow.kind === 'stray') throw error;
      const what = `application ${flow.index + 1} (${flow.applicationId ?? 'no draft yet'}), ${step.kind} at ${step.at.toISOString()}`;
      throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    this.progress.steps += 1;
    if (step.kind === 'draft') this.progress.drafted += 1;
    const day = shanghaiDate(step.at);
    if (day > this.progress.reached) this.progress.reached = day;
  }

  private async workWritten(flow: Flow): Promise<void> {
    const rows = this.written.rows.getStore()!;
    for (let row = rows.shift(); row; row = rows.shift()) {
      if (row.topic === ISSUE_CERTIFICATE_TOPIC && flow.kind === 'application' && !flow.issueRow) {
        flow.issueRow = row;
        continue;
      }
      if (!(await this.relay.workNow(row))) throw new HistoryInterrupted(`outbox ${row.topic} ${row.id}`);
    }
  }

  private async take(flow: Flow, step: Step): Promise<void> {
    if (flow.kind === 'stray' || step.kind === 'stray') return this.strayCheck();
    const a = flow.planned;
    const resident = this.residents[a.applicant].ctx;
    const staff = this.staff.get(a.committee)!;
    const id = flow.applicationId!;
    switch (step.kind) {
      case 'draft': {
        const draft = await this.applications.createDraft(
          { ...resident, idempotencyKey: `history-${this.options.seed}-${flow.index + 1}` },
          { typeCode: this.options.types[a.type].code, committeeCode: this.options.committees[a.committee].code },
        );
        flow.applicationId = draft.id;
        flow.materials = draft.materialRequirements.filter((r) => r.required).map((r) => r.key);
        await this.applications.updateForm(resident, draft.id, this.formOf(draft.formSchema.examples[0], a.applicant));
        for (const key of flow.materials) await this.upload(resident, draft.id, key);
        return;
      }
      case 'submit':
        await this.applications.submit(resident, id);
        return;
      case 'request_supplement':
        await this.applications.requestSupplement(staff.clerk, id, {
          items: [{ materialKey: this.supplementKey(flow, step.round), reason: SUPPLEMENT_REASON }],
        });
        this.outcome.supplementRounds += 1;
        return;
      case 'resubmit':
        await this.upload(resident, id, this.supplementKey(flow, step.round));
        await this.applications.resubmit(resident, id);
        return;
      case 'approve':
        await this.applications.approve(staff.approver, id, APPROVAL_COMMENT);
        return;
      case 'reject':
        await this.applications.reject(staff.approver, id, REJECTION_REASON);
        this.outcome.rejected += 1;
        return;
      case 'withdraw':
        await this.applications.withdraw(resident, id);
        this.outcome.withdrawn += 1;
        return;
      case 'issue':
        return this.issue(flow);
      case 'revoke':
        await this.certificates.revoke(staff.approver, flow.certificate!.id, REVOCATION_REASON);
        return;
      case 'check':
        return this.check(flow, step.check);
    }
  }

  /** The approval's issuing row, worked as the worker would: the real issuer renders, seals and signs. */
  private async issue(flow: ApplicationFlow): Promise<void> {
    if (!flow.issueRow) throw new Error('the approval wrote no issuing row');
    if (!(await this.relay.workNow(flow.issueRow))) throw new HistoryInterrupted(`issuing ${flow.applicationId}`);
    const row = await this.dataSource
      .getRepository(CertificateEntity)
      .findOneByOrFail({ applicationId: flow.applicationId });
    if (row.status !== 'issued' || !row.storageKey) throw new Error(`certificate ${row.number} is ${row.status}`);
    // What the holder reads off the printed certificate, and hands to whoever checks it.
    const code = this.cipher.decrypt('verificationCode', row.verificationCodeEncrypted);
    flow.certificate = { id: row.id, number: row.number, code, storageKey: row.storageKey };
    this.lastNumber = row.number;
    this.outcome.issued += 1;
  }

  /** A check through the verification services; a certificate just issued that does not verify stops the seed. */
  private async check(flow: ApplicationFlow, check: PlannedCheck): Promise<void> {
    const certificate = flow.certificate!;
    const verifier: Verifier =
      check.sector === 'anonymous'
        ? { institutionId: null, sector: 'anonymous' }
        : { institutionId: this.institutions.get(check.sector)!, sector: check.sector };
    if (check.method === 'pdf') {
      const verdict = await this.pdfVerification.check(await this.storage.get(certificate.storageKey), verifier);
      const wrong = verdict.reasons.filter((r) => r !== 'certificate_revoked' && r !== 'certificate_expired');
      if (wrong.length > 0) throw new Error(`the PDF of ${certificate.number} does not verify: ${wrong.join(', ')}`);
    } else {
      const verdict = await this.verification.verify(certificate.number, certificate.code, verifier, check.method);
      if (verdict.status === 'unknown') throw new Error(`${certificate.number} with its code is unknown`);
    }
    this.outcome.verifications += 1;
  }

  /** Someone types a number that names no certificate: a digit of the last one issued, mistyped. */
  private async strayCheck(): Promise<void> {
    const number = this.lastNumber ?? '0000000000';
    const at = number.search(/\d/);
    const typo = `${number.slice(0, at)}${(Number(number[at]) + 1) % 10}${number.slice(at + 1)}`;
    const verdict = await this.verification.verify(
      typo,
      'XXXXXXXX',
      { institutionId: null, sector: 'anonymous' },
      'manual',
    );
    if (verdict.status !== 'unknown') throw new Error(`the mistyped ${typo} named a certificate`);
    this.outcome.verifications += 1;
  }

  private supplementKey(flow: ApplicationFlow, round: number): string {
    return flow.materials![(round - 1) % flow.materials!.length];
  }

  private formOf(example: Record<string, unknown> | undefined, applicant: number): Record<string, unknown> {
    if (!example) throw new Error('a certificate type without an example form');
    const { name, idNumber, phone } = this.residents[applicant];
    return { ...example, applicantName: name, idNumber, phone };
  }

  private async upload(ctx: RequestContext, id: string, key: string): Promise<void> {
    await this.applications.addMaterial(ctx, id, { key, fileName: `${key}.png`, bytes: this.photo });
  }

  // ---------------------------------------------------------------- before the history

  private async prepare(): Promise<void> {
    this.photo = await sharp({
      create: { width: 120, height: 80, channels: 3, background: { r: 236, g: 232, b: 220 } },
    })
      .png()
      .toBuffer();
    const people = this.app.get(PeopleService, { strict: false });
    await this.dataSource.transaction(async (m) => {
      for (let i = 0; i < RESIDENTS; i++) {
        const name = `${SURNAMES[i % SURNAMES.length]}演示${i}`;
        const idNumber = syntheticIdNumber(this.random);
        const phone = `13${String(Math.floor(this.random() * 1e9)).padStart(9, '0')}`;
        const person = await people.register({ name, idNumber }, m);
        this.residents.push({ ctx: { principal: this.principal(person.id, []) }, name, idNumber, phone });
      }
    });
    await this.prepareStaff();
    const [district] = (await this.dataSource.query(
      `SELECT id, code FROM organizations WHERE level = 'district' LIMIT 1`,
    )) as { id: string; code: string }[];
    const admin = await this.person(StaffRole.Admin, district, 0);
    const verifiers = this.app.get(VerifiersService, { strict: false });
    for (const [sector, name] of INSTITUTIONS) {
      this.institutions.set(sector, (await verifiers.createInstitution({ name, sector }, admin.principal)).id);
    }
  }

  /** A clerk and an approver for every committee with applications: its own staff, else demo staff. */
  private async prepareStaff(): Promise<void> {
    const busy = [...new Set(this.plan.applications.map((a) => a.committee))];
    for (const committee of busy) {
      const organization = this.options.committees[committee];
      this.staff.set(committee, {
        clerk: await this.person(StaffRole.Clerk, organization, committee),
        approver: await this.person(StaffRole.Approver, organization, committee),
      });
    }
  }

  /** Whoever holds `role` at the organization, in the role as they would sign in; a demo person granted it if nobody does. */
  private async person(
    role: StaffRole,
    organization: { id: string; code: string },
    n: number,
  ): Promise<RequestContext> {
    const staff = this.app.get(StaffService, { strict: false });
    const [held] = (await this.dataSource.query(
      `SELECT person_id AS "personId" FROM staff_roles
        WHERE role = $1 AND organization_id = $2 AND revoked_at IS NULL ORDER BY granted_at LIMIT 1`,
      [role, organization.id],
    )) as { personId: string }[];
    let personId = held?.personId;
    if (!personId) {
      const title = { clerk: '经办', approver: '审批', supervisor: '监管', admin: '管理' }[role];
      const name = `${SURNAMES[n % SURNAMES.length]}${title}演示${n + 1}`;
      const input = { name, idNumber: syntheticIdNumber(this.random), role, organizationCode: organization.code };
      personId = (await staff.grant(input, null)).personId;
    }
    return { principal: this.principal(personId, await staff.rolesOf(personId)) };
  }

  private principal(personId: string, roles: PersonPrincipal['roles']): PersonPrincipal {
    return { kind: 'person', personId, sessionId: this.sessionId, roles };
  }
}

/** A valid GB 11643 number for a synthetic resident of Zengcheng (4401 18), born 1960–1999. */
function syntheticIdNumber(random: () => number): string {
  const birth = new Date(Date.UTC(1960 + Math.floor(random() * 40), 0, 1) + Math.floor(random() * 365) * DAY);
  const first17 = `440118${birth.toISOString().slice(0, 10).replaceAll('-', '')}${String(Math.floor(random() * 1000)).padStart(3, '0')}`;
  return first17 + idNumberCheckCharacter(first17);
}
