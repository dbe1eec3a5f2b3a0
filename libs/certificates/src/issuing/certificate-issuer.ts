import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { Clock } from '@zhengming/clock';
import { HTTP_CONFIG, ISSUING_CONFIG, type HttpConfig, type IssuingConfig } from '@zhengming/config';
import {
  ApplicationsService,
  ISSUE_CERTIFICATE_TOPIC,
  lockApplications,
  shanghaiDate,
  type ApplicationEntity,
} from '@zhengming/applications';
import { CertificateTypeVersionEntity, CertificateTypesService } from '@zhengming/certificate-types';
import { OrganizationNames } from '@zhengming/organizations';
import { OutboxHandlers, type OutboxHandler, type OutboxMessageEntity, type RetryPolicy } from '@zhengming/outbox';
import { PersonEntity } from '@zhengming/identity';
import { maskIdNumber, PiiCipher } from '@zhengming/pii';
import {
  appendPdfSignature,
  contentsSizeFor,
  PersonalCertificatesService,
  PkiService,
  SealsService,
  type PersonalSigning,
  type SealEntity,
  type SealSigning,
  signPreparedPdf,
  TimestampError,
  TimestampService,
} from '@zhengming/signing';
import { ObjectStorage } from '@zhengming/storage';
import {
  compactCertificateNumber,
  formatCertificateNumber,
  MAX_SERIAL,
  newVerificationCode,
} from '../certificate-number';
import { CertificateEntity } from '../certificate.entity';
import { CertificateErrorCode, CertificateException } from '../certificates.exception';
import { eachOrAlone } from './each-or-alone';
import { CertificateRenderer } from './certificate-renderer';
import { IssuanceListeners } from './issuance-listeners';
import { APPROVER_FIELD } from './render-document';

const DAY_MS = 24 * 3600 * 1000;

/** Test seam: lets a test crash the issuer between its steps, as a killed process would. */
export const ISSUANCE_FAULTS = Symbol('ISSUANCE_FAULTS');
export interface IssuanceFaults {
  afterStore?(certificateId: string): Promise<void>;
}

interface IssuePayload {
  applicationId: string;
}

/**
 * Turns an approved application into its issued certificate (DESIGN.md §4), driven by the outbox row
 * the approval wrote, several approvals at a time where the relay hands them over together (steps 1
 * and 3 then take one transaction for the group; see issueMany). Exactly once, whatever crashes in between:
 *  1. a short transaction reserves the number: a `pending` certificate row, one per application;
 *     a retry finds it and reuses its number, code and date;
 *     Each run also gets a storage key of its own there (a fresh one for a retry), so a concurrent
 *     duplicate never overwrites the file another run recorded, and the run after a crash knows the
 *     dead run's file and removes it;
 *  2. render (worker thread), seal signature, approver signature, store under that key;
 *  3. one transaction marks the certificate and the application issued; a run that finds it already
 *     issued deletes its own file and stops.
 * The record (issue date, validity, the number's year, the signing recorded for the seal's log) takes
 * its times from the clock; the signatures themselves carry the real time they are made at, and the
 * seal is checked at that time, since its certificate, its status history and a time-stamp all speak
 * of real time (with the system's clock both are the same moment; a history replayed through the
 * issuer gets documents issued in the past and sealed today, never a seal that signed before it existed).
 * Both signatures carry a signature time-stamp from the TSA (PAdES B-T). Without the TSA the run
 * fails before it stores or records anything (a retry reuses the reserved number, as after a crash)
 * and the outbox tries again with backoff (`retry`, from CERTIFICATE_ISSUE_*), for as long as the TSA
 * is away (an outage spends no attempts): the application stays approved (出证中) until a run gets its
 * time-stamps.
 */
@Injectable()
export class CertificateIssuer implements OnModuleInit, OutboxHandler {
  readonly topic = ISSUE_CERTIFICATE_TOPIC;
  readonly retry: RetryPolicy;
  readonly batchSize: number;
  private readonly logger = new Logger(CertificateIssuer.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly handlers: OutboxHandlers,
    private readonly applications: ApplicationsService,
    private readonly types: CertificateTypesService,
    private readonly cipher: PiiCipher,
    private readonly pki: PkiService,
    private readonly seals: SealsService,
    private readonly personal: PersonalCertificatesService,
    private readonly renderer: CertificateRenderer,
    private readonly storage: ObjectStorage,
    private readonly listeners: IssuanceListeners,
    private readonly timestamps: TimestampService,
    private readonly clock: Clock,
    private readonly organizations: OrganizationNames,
    @Inject(HTTP_CONFIG) private readonly http: HttpConfig,
    @Inject(ISSUING_CONFIG) issuing: IssuingConfig,
    @Optional() @Inject(ISSUANCE_FAULTS) private readonly faults?: IssuanceFaults,
  ) {
    this.batchSize = issuing.batchSize;
    // The TSA away (no answer, or not in time) is waited out however long it takes: the resident keeps
    // seeing 出证中 and the certificate is issued once it is back. Its refusals spend attempts as usual.
    this.retry = {
      ...issuing.retry,
      isOutage: (error) =>
        error instanceof TimestampError && (error.code === 'unreachable' || error.code === 'timeout'),
    };
  }

  onModuleInit(): void {
    this.handlers.register(this);
  }

  async handle(message: OutboxMessageEntity): Promise<void> {
    await this.issue(applicationIdOf(message));
  }

  /** Several approvals issued together; each row's failure, as the relay records them. */
  async handleMany(messages: OutboxMessageEntity[]): Promise<unknown[]> {
    const outcomes = await this.issueMany(messages.map(applicationIdOf));
    return outcomes.map((outcome) => ('error' in outcome ? (outcome.error ?? new Error('issuing failed')) : undefined));
  }

  async issue(applicationId: string): Promise<CertificateEntity> {
    const [outcome] = await this.issueMany([applicationId]);
    if ('error' in outcome) throw outcome.error;
    return outcome.certificate;
  }

  /**
   * Issues approved applications together, each as `issue` would: one transaction reserves all their
   * numbers, each is rendered and signed on its own, and one transaction records them all. When a
   * shared transaction fails, its applications go through it one by one, so one application's
   * failure (a seal suspended in between, a counter exhausted) stays its own. The outcomes, in order.
   */
  async issueMany(applicationIds: readonly string[]): Promise<IssueOutcome[]> {
    const unique = [...new Set(applicationIds)];
    if (unique.length < applicationIds.length) {
      // One application twice in a group (two rows for it): issued once, both told the outcome.
      const outcomes = await this.issueMany(unique);
      return applicationIds.map((id) => outcomes[unique.indexOf(id)]);
    }
    let outcomes: IssueOutcome[];
    try {
      // The first run in a process asks the TSA here (the token size); later runs meet it when stamping.
      const tokenBytes = await this.timestamps.tokenReserve();
      const reserved = await eachOrAlone(applicationIds, (ids) => this.reserve(ids));
      const signers = await this.signersFor(reserved.flatMap((r) => ('reserved' in r ? [r.reserved] : [])));
      const signed = await Promise.all(
        reserved.map(async (r): Promise<{ signed: Signed } | IssueOutcome> => {
          if (!('reserved' in r)) return r;
          try {
            return { signed: await this.sign(r.reserved, signers, tokenBytes) };
          } catch (error) {
            return { error };
          }
        }),
      );
      const recorded = await eachOrAlone(
        signed.flatMap((r) => ('signed' in r ? [r.signed] : [])),
        (group) => this.record(group),
      );
      let next = 0;
      outcomes = signed.map((r) => ('signed' in r ? recorded[next++] : r));
    } catch (error) {
      outcomes = applicationIds.map(() => ({ error }));
    }
    const waiting = outcomes.filter((o) => 'error' in o && o.error instanceof TimestampError);
    if (waiting.length > 0) {
      // Thrown on: the outbox retries with backoff, and the resident keeps seeing 出证中.
      const error = (waiting[0] as { error: TimestampError }).error;
      this.logger.warn(
        { applications: waiting.length, tsa: error.code, error: error.message },
        'no time-stamp, issuing later',
      );
    }
    return outcomes;
  }

  /**
   * The seals and the approvers' certificates that sign, each looked up once: they must be in force
   * when they sign, now, in real time (the record step checks the seals again).
   */
  private async signersFor(reserved: readonly Reserved[]): Promise<Signers> {
    const committees = [...new Set(reserved.map((r) => r.application.committeeId))];
    const approvers = [...new Set(reserved.map((r) => r.application.approvedBy!))];
    const now = new Date();
    const [chain, seals, people] = await Promise.all([
      this.pki.chain(),
      Promise.all(committees.map((id) => settle(this.seals.forSigning(id, now)))),
      Promise.all(approvers.map((id) => settle(this.personal.forSigning(id, now)))),
    ]);
    return {
      // The intermediate, not the root: a verifier has to trust the root already (see CmsSignerInput).
      chainDer: [chain.issuing.certificateDer],
      seals: new Map(committees.map((id, i) => [id, seals[i]])),
      approvers: new Map(approvers.map((id, i) => [id, people[i]])),
    };
  }

  /** Step 2: render (worker thread), seal signature, approver signature, store under the run's key. */
  private async sign(reserved: Reserved, signers: Signers, tokenBytes: number): Promise<Signed> {
    const { certificate, application } = reserved;
    const sealSigning = unwrap(signers.seals.get(application.committeeId)!);
    const approver = unwrap(signers.approvers.get(application.approvedBy!)!);
    const { chainDer } = signers;
    const timestamper = this.timestamps.timestamper;
    const version = await this.types.version(application.typeVersionId);
    const template = version.template ?? (await this.activeVersionOf(version)).template;
    if (!template) throw new CertificateException(CertificateErrorCode.TemplateMissing, { typeVersionId: version.id });
    const committee = await this.committeeOf(application.committeeId);
    const code = this.cipher.decrypt('verificationCode', certificate.verificationCodeEncrypted);
    const signingTime = new Date();
    const signedAt = this.clock.now();

    const { pdf, prepared } = await this.renderer.render({
      certificate: {
        template,
        typeName: version.name,
        form: JSON.parse(this.cipher.decrypt('form', application.formEnc)) as Record<string, unknown>,
        certificateNo: certificate.number,
        verificationCode: code,
        verificationUrl: `${this.http.publicBaseUrl}/v/${compactCertificateNumber(certificate.number)}?c=${code}`,
        committee: { name: committee.fullName, code: committee.code },
        seal: { title: sealSigning.seal.name, code: sealSigning.seal.code },
        approver: { name: approver.name },
        issuedAt: certificate.issuedAt,
        validUntil: certificate.validUntil,
      },
      sealSignature: {
        signedAt: signingTime,
        reason: `${committee.fullName}出具${version.name}`,
        location: '广州市增城区',
        signerName: sealSigning.seal.name,
        contentsSize: contentsSizeFor(
          [sealSigning.seal.certificateDer, ...chainDer],
          sealSigning.signer.algorithm,
          tokenBytes,
        ),
      },
    });
    const sealed = await signPreparedPdf(pdf, prepared, {
      signer: sealSigning.signer,
      certificate: sealSigning.seal.certificateDer,
      chain: chainDer,
      timestamper,
    });
    const document = await appendPdfSignature(
      sealed,
      prepared,
      APPROVER_FIELD,
      {
        signedAt: signingTime,
        reason: `审批人${approver.name}审批同意`,
        location: '广州市增城区',
        signerName: approver.name,
        contentsSize: contentsSizeFor(
          [approver.certificate.certificateDer, ...chainDer],
          approver.signer.algorithm,
          tokenBytes,
        ),
      },
      { signer: approver.signer, certificate: approver.certificate.certificateDer, chain: chainDer, timestamper },
    );

    const storageKey = certificate.storageKey!;
    await this.storage.put(storageKey, document, 'application/pdf');
    await this.faults?.afterStore?.(certificate.id);
    return {
      ...reserved,
      version,
      seal: sealSigning.seal,
      signingTime,
      recorded: {
        status: 'issued' as const,
        sealId: sealSigning.seal.id,
        sealSerialHex: sealSigning.seal.serialHex,
        approverCertificateId: approver.certificate.id,
        approverSerialHex: approver.certificate.serialHex,
        documentSha256: createHash('sha256').update(document).digest('hex'),
        documentBytes: document.length,
        storageKey,
        signedAt,
        updatedAt: signedAt,
      },
    };
  }

  /**
   * Step 3: one transaction marks the certificates and their applications issued. A certificate whose
   * application another run issued first has its own file removed and yields the one on record.
   */
  private async record(group: readonly Signed[]): Promise<{ certificate: CertificateEntity }[]> {
    const won = await this.dataSource.transaction(async (m) => {
      // Suspended, revoked or re-keyed while this run signed: refused here, retried with the seal as it is now.
      const seals = new Map(group.map((s) => [s.seal.id, s.seal]));
      for (const seal of [...seals.values()].sort((a, b) => a.id.localeCompare(b.id))) {
        const times = group.filter((s) => s.seal.id === seal.id).map((s) => s.signingTime);
        await this.seals.confirmInForce(m, seal, times);
      }
      const marked = await this.applications.markIssued(m, group);
      const issued = group.filter((signed) => marked.has(signed.application.id));
      await recordSigned(m, issued);
      for (const signed of issued) Object.assign(signed.certificate, signed.recorded);
      await this.listeners.notify(m, issued);
      return marked;
    });
    return Promise.all(
      group.map(async ({ certificate, application, abandonedKey, recorded }) => {
        if (!won.has(application.id)) {
          // Another run finished first; its file is the one on record, this one is nobody's.
          await this.storage.delete(recorded.storageKey).catch(() => undefined);
          return {
            certificate: await this.dataSource.manager.findOneByOrFail(CertificateEntity, {
              applicationId: application.id,
            }),
          };
        }
        if (abandonedKey) await this.storage.delete(abandonedKey).catch(() => undefined);
        this.logger.log(
          { certificateId: certificate.id, number: certificate.number, bytes: recorded.documentBytes },
          'certificate issued',
        );
        return { certificate };
      }),
    );
  }

  /**
   * Step 1, in one transaction: the pending row with its number, made once per application, and this
   * run's storage key. A retry of a pending row takes a new key and learns the previous run's, whose
   * file (if that run got as far as storing it) nobody will ever record. An application issued
   * already yields its certificate.
   */
  private async reserve(applicationIds: readonly string[]): Promise<Reservation[]> {
    return this.dataSource.transaction(async (m) => {
      const applications = new Map((await lockApplications(m, applicationIds)).map((a) => [a.id, a]));
      const existing = new Map(
        (await m.findBy(CertificateEntity, { applicationId: In([...applicationIds]) })).map((c) => [
          c.applicationId,
          c,
        ]),
      );
      const fresh = applicationIds.filter((id) => !(existing.has(id) && applications.has(id)));
      for (const id of fresh) {
        const application = applications.get(id);
        if (!application || application.status !== 'approved' || !application.approvedBy) {
          throw new CertificateException(CertificateErrorCode.ApplicationNotApproved, {
            applicationId: id,
            status: application?.status,
          });
        }
      }
      const made = new Map(
        (
          await this.newCertificates(
            m,
            fresh.map((id) => applications.get(id)!),
          )
        ).map((c) => [c.applicationId, c]),
      );
      const results: Reservation[] = [];
      for (const id of applicationIds) {
        const application = applications.get(id)!;
        const certificate = made.get(id) ?? existing.get(id)!;
        if (made.has(id)) {
          results.push({ reserved: { certificate, application } });
        } else if (certificate.status !== 'pending') {
          results.push({ certificate });
        } else {
          const abandonedKey = certificate.storageKey ?? undefined;
          certificate.storageKey = storageKeyFor(certificate);
          await m.update(
            CertificateEntity,
            { id: certificate.id },
            { storageKey: certificate.storageKey, updatedAt: this.clock.now() },
          );
          results.push({ reserved: { certificate, application, abandonedKey } });
        }
      }
      return results;
    });
  }

  /** Pending certificates for approved applications: numbers drawn per counter, one insert for all. */
  private async newCertificates(
    m: EntityManager,
    applications: readonly ApplicationEntity[],
  ): Promise<CertificateEntity[]> {
    if (applications.length === 0) return [];
    const holders = new Map(
      (await m.findBy(PersonEntity, { id: In(applications.map((a) => a.applicantId)) })).map((p) => [p.id, p]),
    );
    const issuedAt = this.clock.now();
    const year = Number(shanghaiDate(issuedAt).slice(0, 4));
    const drafts = [];
    for (const application of applications) {
      const version = await this.types.version(application.typeVersionId, m);
      const numberCode = version.numberCode ?? (await this.activeVersionOf(version, m)).numberCode;
      if (!numberCode)
        throw new CertificateException(CertificateErrorCode.TemplateMissing, { typeVersionId: version.id });
      const committee = await this.committeeOf(application.committeeId, m);
      drafts.push({ application, version, numberCode, committee, counter: `${committee.id}|${numberCode}` });
    }
    // Counters in one order for every taker, so two runs drawing from the same two cannot deadlock.
    const serials = new Map<string, number>();
    for (const counter of [...new Set(drafts.map((d) => d.counter))].sort()) {
      const [committeeId, numberCode] = counter.split('|');
      const count = drafts.filter((d) => d.counter === counter).length;
      serials.set(counter, await this.nextSerials(m, committeeId, numberCode, year, count));
    }
    const values = drafts.map(({ application, version, numberCode, committee, counter }) => {
      const serial = serials.get(counter)!;
      serials.set(counter, serial + 1);
      const holder = holders.get(application.applicantId);
      // The applicant's row is kept for as long as their applications are (a foreign key): never missing.
      if (!holder) throw new Error(`application ${application.id}: applicant ${application.applicantId} not found`);
      const id = randomUUID();
      return {
        id,
        applicationId: application.id,
        number: formatCertificateNumber({ committeeCode: committee.code, numberCode, year, serial }),
        status: 'pending' as const,
        typeVersionId: version.id,
        committeeId: committee.id,
        verificationCodeEncrypted: this.cipher.encrypt('verificationCode', newVerificationCode()),
        holderNameMasked: application.applicantNameMasked,
        holderIdMasked: maskIdNumber(this.cipher.decrypt('idNumber', holder.idNumberEncrypted)),
        issuedAt,
        validUntil: new Date(issuedAt.getTime() + version.validityDays * DAY_MS),
        storageKey: storageKeyFor({ id, issuedAt }),
        createdAt: issuedAt,
        updatedAt: issuedAt,
      };
    });
    // insert, not save: the ids are known, and save would first look them up.
    await m.insert(CertificateEntity, values);
    return values.map((v) => m.create(CertificateEntity, v));
  }

  /**
   * The first of `count` serials, dense per committee, type and year; the row lock serializes takers
   * of the same counter only.
   */
  private async nextSerials(
    m: EntityManager,
    committeeId: string,
    numberCode: string,
    year: number,
    count: number,
  ): Promise<number> {
    const rows: { last_serial: number }[] = await m.query(
      `INSERT INTO certificate_serials (committee_id, number_code, year, last_serial) VALUES ($1, $2, $3, $4)
       ON CONFLICT (committee_id, number_code, year) DO UPDATE SET last_serial = certificate_serials.last_serial + $4
       RETURNING last_serial`,
      [committeeId, numberCode, year, count],
    );
    const last = rows[0].last_serial;
    if (last > MAX_SERIAL) {
      throw new CertificateException(CertificateErrorCode.SerialsExhausted, { committeeId, numberCode, year });
    }
    return last - count + 1;
  }

  private async activeVersionOf(
    version: CertificateTypeVersionEntity,
    m: EntityManager = this.dataSource.manager,
  ): Promise<CertificateTypeVersionEntity> {
    return m
      .getRepository(CertificateTypeVersionEntity)
      .createQueryBuilder('v')
      .innerJoin('certificate_types', 't', 't.id = v.type_id AND t.active_version = v.version')
      .where('v.type_id = :typeId', { typeId: version.typeId })
      .getOneOrFail();
  }

  /** The committee as its certificates name it: after its town (names kept a few minutes, see OrganizationNames). */
  private async committeeOf(
    id: string,
    manager?: EntityManager,
  ): Promise<{ id: string; code: string; fullName: string }> {
    const committee = await this.organizations.one(id, manager);
    return { id, code: committee.code, fullName: `${committee.parentName ?? ''}${committee.name}` };
  }
}

/** Where one run stores its document: per certificate and month, with a nonce so no two runs share a file. */
function storageKeyFor(certificate: Pick<CertificateEntity, 'id' | 'issuedAt'>): string {
  const [year, month] = shanghaiDate(certificate.issuedAt).split('-');
  return `certificates/${year}/${month}/${certificate.id}.${randomBytes(6).toString('hex')}.pdf`;
}

/** What step 3 writes on each certificate, in one statement. */
async function recordSigned(m: EntityManager, issued: readonly Signed[]): Promise<void> {
  if (issued.length === 0) return;
  const column = <K extends keyof Signed['recorded']>(key: K) => issued.map((s) => s.recorded[key]);
  await m.query(
    `UPDATE certificates c
        SET status = 'issued', seal_id = v.seal_id, seal_serial_hex = v.seal_serial_hex,
            approver_certificate_id = v.approver_certificate_id, approver_serial_hex = v.approver_serial_hex,
            document_sha256 = v.document_sha256, document_bytes = v.document_bytes, storage_key = v.storage_key,
            signed_at = v.signed_at, updated_at = v.updated_at
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::int[], $8::text[],
                   $9::timestamptz[], $10::timestamptz[])
            AS v(id, seal_id, seal_serial_hex, approver_certificate_id, approver_serial_hex, document_sha256,
                 document_bytes, storage_key, signed_at, updated_at)
      WHERE c.id = v.id`,
    [
      issued.map((s) => s.certificate.id),
      column('sealId'),
      column('sealSerialHex'),
      column('approverCertificateId'),
      column('approverSerialHex'),
      column('documentSha256'),
      column('documentBytes'),
      column('storageKey'),
      column('signedAt'),
      column('updatedAt'),
    ],
  );
}

function applicationIdOf(message: OutboxMessageEntity): string {
  const payload = message.payload as Partial<IssuePayload> | null;
  return payload?.applicationId ?? message.aggregateId;
}

export type IssueOutcome = { certificate: CertificateEntity } | { error: unknown };

/** Step 1's result: a certificate to sign, or one issued already. */
type Reservation = { reserved: Reserved } | { certificate: CertificateEntity };

interface Reserved {
  certificate: CertificateEntity;
  application: ApplicationEntity;
  /** The previous run's storage key, where this run retries a pending certificate. */
  abandonedKey?: string;
}

interface Signed extends Reserved {
  version: CertificateTypeVersionEntity;
  seal: SealEntity;
  /** Real time, as the signatures claim it. */
  signingTime: Date;
  /** What the record step writes on the certificate. */
  recorded: Pick<
    CertificateEntity,
    | 'status'
    | 'sealId'
    | 'sealSerialHex'
    | 'approverCertificateId'
    | 'approverSerialHex'
    | 'documentSha256'
    | 'documentBytes'
    | 'signedAt'
    | 'updatedAt'
  > & { storageKey: string };
}

interface Signers {
  chainDer: Buffer[];
  seals: Map<string, Settled<SealSigning>>;
  approvers: Map<string, Settled<PersonalSigning>>;
}

type Settled<T> = { value: T } | { error: unknown };

async function settle<T>(work: Promise<T>): Promise<Settled<T>> {
  try {
    return { value: await work };
  } catch (error) {
    return { error };
  }
}

function unwrap<T>(settled: Settled<T>): T {
  if ('error' in settled) throw settled.error;
  return settled.value;
}
