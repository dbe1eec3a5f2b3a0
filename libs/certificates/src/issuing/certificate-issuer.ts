import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '@zhengming/clock';
import { HTTP_CONFIG, ISSUING_CONFIG, type HttpConfig, type IssuingConfig } from '@zhengming/config';
import {
  ApplicationsService,
  ISSUE_CERTIFICATE_TOPIC,
  lockApplication,
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
 * the approval wrote. Exactly once, whatever crashes in between:
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
    const payload = message.payload as Partial<IssuePayload> | null;
    const applicationId = payload?.applicationId ?? message.aggregateId;
    await this.issue(applicationId);
  }

  async issue(applicationId: string): Promise<CertificateEntity> {
    try {
      return await this.issueStamped(applicationId);
    } catch (error) {
      if (error instanceof TimestampError) {
        // Thrown on: the outbox retries with backoff, and the resident keeps seeing 出证中.
        this.logger.warn({ applicationId, tsa: error.code, error: error.message }, 'no time-stamp, issuing later');
      }
      throw error;
    }
  }

  private async issueStamped(applicationId: string): Promise<CertificateEntity> {
    // The first run in a process asks the TSA here (the token size); later runs meet it when stamping.
    const tokenBytes = await this.timestamps.tokenReserve();
    const timestamper = this.timestamps.timestamper;
    const { certificate: reserved, application, abandonedKey } = await this.reserve(applicationId);
    if (reserved.status !== 'pending') return reserved;
    const storageKey = reserved.storageKey!;
    const version = await this.types.version(application.typeVersionId);
    const template = version.template ?? (await this.activeVersionOf(version)).template;
    if (!template) throw new CertificateException(CertificateErrorCode.TemplateMissing, { typeVersionId: version.id });

    // The seal and the approver's certificate must be in force when they sign: now, in real time.
    const [committee, chain, sealSigning, approver] = await Promise.all([
      this.committeeOf(application.committeeId),
      this.pki.chain(),
      this.seals.forSigning(application.committeeId, new Date()),
      this.personal.forSigning(application.approvedBy!, new Date()),
    ]);
    // The intermediate, not the root: a verifier has to trust the root already (see CmsSignerInput).
    const chainDer = [chain.issuing.certificateDer];
    const code = this.cipher.decrypt('verificationCode', reserved.verificationCodeEncrypted);
    const signingTime = new Date();
    const signedAt = this.clock.now();

    const { pdf, prepared } = await this.renderer.render({
      certificate: {
        template,
        typeName: version.name,
        form: JSON.parse(this.cipher.decrypt('form', application.formEnc)) as Record<string, unknown>,
        certificateNo: reserved.number,
        verificationCode: code,
        verificationUrl: `${this.http.publicBaseUrl}/v/${compactCertificateNumber(reserved.number)}?c=${code}`,
        committee: { name: committee.fullName, code: committee.code },
        seal: { title: sealSigning.seal.name, code: sealSigning.seal.code },
        approver: { name: approver.name },
        issuedAt: reserved.issuedAt,
        validUntil: reserved.validUntil,
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

    const sha256 = createHash('sha256').update(document).digest('hex');
    await this.storage.put(storageKey, document, 'application/pdf');
    await this.faults?.afterStore?.(reserved.id);

    const recorded = {
      status: 'issued' as const,
      sealId: sealSigning.seal.id,
      sealSerialHex: sealSigning.seal.serialHex,
      approverCertificateId: approver.certificate.id,
      approverSerialHex: approver.certificate.serialHex,
      documentSha256: sha256,
      documentBytes: document.length,
      storageKey,
      signedAt,
      updatedAt: signedAt,
    };
    const issued = await this.dataSource.transaction(async (m) => {
      // Suspended, revoked or re-keyed while this run signed: refused here, retried with the seal as it is now.
      await this.seals.confirmInForce(m, sealSigning.seal, signingTime);
      if (!(await this.applications.markIssued(m, applicationId, reserved))) return undefined;
      await m.update(CertificateEntity, { id: reserved.id }, recorded);
      const certificate = Object.assign(reserved, recorded);
      await this.listeners.notify(m, { certificate, application, version });
      return certificate;
    });
    if (!issued) {
      // Another run finished first; its file is the one on record, this one is nobody's.
      await this.storage.delete(storageKey).catch(() => undefined);
      return this.dataSource.manager.findOneByOrFail(CertificateEntity, { applicationId });
    }
    if (abandonedKey) {
      await this.storage.delete(abandonedKey).catch(() => undefined);
    }
    this.logger.log({ certificateId: issued.id, number: issued.number, bytes: document.length }, 'certificate issued');
    return issued;
  }

  /**
   * Step 1: the pending row with its number, made once per application, and this run's storage key.
   * A retry of a pending row takes a new key and learns the previous run's, whose file (if that run
   * got as far as storing it) nobody will ever record.
   */
  private async reserve(
    applicationId: string,
  ): Promise<{ certificate: CertificateEntity; application: ApplicationEntity; abandonedKey?: string }> {
    return this.dataSource.transaction(async (m) => {
      const application = await lockApplication(m, applicationId);
      const existing = await m.findOneBy(CertificateEntity, { applicationId });
      if (existing && application) {
        if (existing.status !== 'pending') return { certificate: existing, application };
        const abandonedKey = existing.storageKey ?? undefined;
        existing.storageKey = storageKeyFor(existing);
        await m.update(
          CertificateEntity,
          { id: existing.id },
          { storageKey: existing.storageKey, updatedAt: this.clock.now() },
        );
        return { certificate: existing, application, abandonedKey };
      }
      if (!application || application.status !== 'approved' || !application.approvedBy) {
        throw new CertificateException(CertificateErrorCode.ApplicationNotApproved, {
          applicationId,
          status: application?.status,
        });
      }
      const version = await this.types.version(application.typeVersionId, m);
      const numberCode = version.numberCode ?? (await this.activeVersionOf(version, m)).numberCode;
      if (!numberCode)
        throw new CertificateException(CertificateErrorCode.TemplateMissing, { typeVersionId: version.id });
      const committee = await this.committeeOf(application.committeeId, m);
      const holder = await m.findOneByOrFail(PersonEntity, { id: application.applicantId });
      const issuedAt = this.clock.now();
      const year = Number(shanghaiDate(issuedAt).slice(0, 4));
      const serial = await this.nextSerial(m, committee.id, numberCode, year);
      const id = randomUUID();
      const values = {
        id,
        applicationId,
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
      // insert, not save: the id is known, and save would first look it up.
      await m.insert(CertificateEntity, values);
      return { certificate: m.create(CertificateEntity, values), application };
    });
  }

  /** Dense per committee, type and year; the row lock serializes takers of the same counter only. */
  private async nextSerial(m: EntityManager, committeeId: string, numberCode: string, year: number): Promise<number> {
    const rows: { last_serial: number }[] = await m.query(
      `INSERT INTO certificate_serials (committee_id, number_code, year, last_serial) VALUES ($1, $2, $3, 1)
       ON CONFLICT (committee_id, number_code, year) DO UPDATE SET last_serial = certificate_serials.last_serial + 1
       RETURNING last_serial`,
      [committeeId, numberCode, year],
    );
    const serial = rows[0].last_serial;
    if (serial > MAX_SERIAL) {
      throw new CertificateException(CertificateErrorCode.SerialsExhausted, { committeeId, numberCode, year });
    }
    return serial;
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
