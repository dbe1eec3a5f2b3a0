import { timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '@zhengming/clock';
import {
  certificateState,
  formatCertificateNumber,
  parseCertificateNumber,
  type CertificateState,
  type CertificateStatus,
} from '@zhengming/certificates';
import { SECTOR_NAMES, type Principal } from '@zhengming/identity';
import { preparedQuery } from '@zhengming/database';
import { OrganizationNames } from '@zhengming/organizations';
import { PiiCipher } from '@zhengming/pii';
import type { SealStatus } from '@zhengming/signing';
import { ObjectStorage } from '@zhengming/storage';
import type { VerificationMethod, VerificationResult, VerifierSectorOrAnonymous } from './verification.entities';
import { VerificationLog } from './verification-log';

export type VerificationStatus = CertificateState | 'unknown';

/** A certificate as verification shows it: the holder masked, nothing a verifier has no need for. */
export interface VerifiedCertificate {
  id: string;
  number: string;
  typeCode: string;
  typeName: string;
  committeeName: string;
  committeeCode: string;
  issuedAt: Date;
  validUntil: Date;
  holderName: string;
  holderIdNumber: string;
  documentSha256: string | null;
  revokedAt: Date | null;
  revocationReason: string | null;
  sealId: string | null;
  /** The seal that sealed it: its state when it signed and now (a seal revoked since shows here). */
  seal: SealVerification | null;
}

export interface SealStateView {
  status: SealStatus;
  reason: string | null;
  since: Date;
}

export interface SealVerification {
  name: string;
  code: string;
  certificateSerial: string | null;
  atSigning: SealStateView | null;
  now: SealStateView;
}

export interface Verdict {
  status: VerificationStatus;
  checkedAt: Date;
  /** Null unless the number and its code both matched an issued certificate. */
  certificate: VerifiedCertificate | null;
}

export interface Verifier {
  institutionId: string | null;
  sector: VerifierSectorOrAnonymous;
}

export function verifierOf(principal: Principal): Verifier {
  return principal.kind === 'institution'
    ? { institutionId: principal.institutionId, sector: principal.sector }
    : { institutionId: null, sector: 'anonymous' };
}

export interface HolderLogEntry {
  id: string;
  certificateNumber: string;
  typeName: string;
  verifier: string;
  sector: VerifierSectorOrAnonymous;
  sectorName: string;
  method: VerificationMethod;
  result: VerificationResult;
  at: Date;
}

const SECTOR_OR_ANONYMOUS_NAMES: Readonly<Record<VerifierSectorOrAnonymous, string>> = {
  ...SECTOR_NAMES,
  anonymous: '匿名',
};

interface CertificateRow {
  id: string;
  number: string;
  status: CertificateStatus;
  issued_at: Date;
  valid_until: Date;
  document_sha256: string | null;
  verification_code_enc: string;
  holder_name_masked: string;
  holder_id_masked: string;
  revoked_at: Date | null;
  revocation_reason: string | null;
  seal_id: string | null;
  seal_serial_hex: string | null;
  storage_key: string | null;
  seal_name: string | null;
  seal_code: string | null;
  seal_status: SealStatus | null;
  seal_status_reason: string | null;
  seal_status_changed_at: Date | null;
  seal_created_at: Date | null;
  seal_status_at_signing: SealStatus | null;
  seal_reason_at_signing: string | null;
  seal_since_at_signing: Date | null;
  type_code: string;
  type_name: string;
  committee_id: string;
  /** Not selected: filled in from OrganizationNames (withCommittees). */
  committee_name: string;
  committee_code: string;
}

const CERTIFICATE_SELECT = `
  SELECT c.id, c.number, c.status, c.issued_at, c.valid_until, c.document_sha256, c.verification_code_enc,
         c.holder_name_masked, c.holder_id_masked, c.revoked_at, c.revocation_reason, c.seal_id, c.storage_key,
         c.seal_serial_hex,
         t.code AS type_code, v.name AS type_name, c.committee_id,
         s.name AS seal_name, s.code AS seal_code, s.status AS seal_status, s.status_reason AS seal_status_reason,
         s.status_changed_at AS seal_status_changed_at, s.created_at AS seal_created_at,
         se.status AS seal_status_at_signing, se.reason AS seal_reason_at_signing,
         se.occurred_at AS seal_since_at_signing
    FROM certificates c
    JOIN certificate_type_versions v ON v.id = c.type_version_id
    JOIN certificate_types t ON t.id = v.type_id
    LEFT JOIN seals s ON s.id = c.seal_id
    LEFT JOIN LATERAL (
      SELECT e.status, e.reason, e.occurred_at FROM seal_status_events e
       WHERE e.seal_id = c.seal_id AND e.occurred_at <= c.signed_at
       ORDER BY e.occurred_at DESC LIMIT 1
    ) se ON true`;

/** Certificate lookups one API process has at PostgreSQL at once; checks asked for beyond them wait and batch. */
const MAX_LOOKUPS_IN_FLIGHT = 2;

/** Crockford base32 as people type it: any case, spaces and hyphens, O for 0 and I or L for 1. */
export function normalizeVerificationCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/**
 * Answers "is this certificate genuine and in force?" for the printed number and code, and records
 * every check. A wrong number and a wrong code get the same answer, and neither touches the log of
 * any certificate, so the number space cannot be mapped by guessing.
 */
@Injectable()
export class VerificationService {
  /**
   * Checks that arrive together share one query (`= ANY($1)`: one round trip, one plan, one row
   * description). A lookup goes out at the end of the event-loop turn that asked for it, unless
   * MAX_LOOKUPS_IN_FLIGHT are already on their way to PostgreSQL: then the numbers asked for meanwhile
   * gather, and go together when one returns. Alone, a check waits for nothing; under load the batches
   * grow with it. (Only batching each turn's numbers left checks arriving evenly a query each; a fixed
   * 1 ms window batched those but idled the API whenever all its connections were waiting in it.)
   */
  private readonly byNumber = new DataLoader<string, CertificateRow | null>((numbers) => this.lookUp(numbers), {
    cache: false,
    batchScheduleFn: (run) => {
      if (this.lookupsInFlight < MAX_LOOKUPS_IN_FLIGHT) setImmediate(run);
      else this.waitingLookups.push(run);
    },
    maxBatchSize: 100,
  });
  private lookupsInFlight = 0;
  private readonly waitingLookups: (() => void)[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: PiiCipher,
    private readonly log: VerificationLog,
    private readonly storage: ObjectStorage,
    private readonly clock: Clock,
    private readonly organizations: OrganizationNames,
  ) {}

  async verify(
    numberInput: string,
    codeInput: string,
    verifier: Verifier,
    method: VerificationMethod,
  ): Promise<Verdict> {
    const checkedAt = this.clock.now();
    const row = await this.findByNumber(numberInput);
    const certificate = row && this.codeMatches(row, codeInput) ? toCertificate(row) : null;
    const status: VerificationStatus = certificate ? certificateState(toState(row!), checkedAt) : 'unknown';
    this.log.record({ certificateId: certificate?.id ?? null, ...verifier, method, result: status, checkedAt });
    return { status, checkedAt, certificate };
  }

  /**
   * The signed PDF, for whoever holds the printed number and code (the link a receiving system such as
   * the power-supply company downloads it by); null exactly where `verify` would answer unknown.
   */
  async document(numberInput: string, codeInput: string): Promise<{ number: string; bytes: Buffer } | null> {
    const row = await this.findByNumber(numberInput);
    if (!row?.storage_key || !this.codeMatches(row, codeInput)) return null;
    return { number: row.number, bytes: await this.storage.get(row.storage_key) };
  }

  /** The issued certificate whose signed PDF has this SHA-256, if any (the PDF check's lookup). */
  async findByDocument(sha256s: readonly string[]): Promise<VerifiedCertificate | null> {
    if (sha256s.length === 0) return null;
    const rows = await this.withCommittees(
      await this.dataSource.query<CertificateRow[]>(
        `${CERTIFICATE_SELECT} WHERE c.document_sha256 = ANY($1::char(64)[]) AND c.status <> 'pending' LIMIT 1`,
        [sha256s],
      ),
    );
    return rows[0] ? toCertificate(rows[0]) : null;
  }

  /** The certificate of one of the person's own applications, once issued (revoked ones included). */
  async findForHolder(personId: string, applicationId: string): Promise<VerifiedCertificate | null> {
    const rows = await this.withCommittees(
      await this.dataSource.query<CertificateRow[]>(
        `${CERTIFICATE_SELECT}
          JOIN applications a ON a.id = c.application_id
         WHERE c.application_id = $1 AND a.applicant_id = $2 AND c.status <> 'pending'`,
        [applicationId, personId],
      ),
    );
    return rows[0] ? toCertificate(rows[0]) : null;
  }

  stateOf(certificate: VerifiedCertificate, now = this.clock.now()): CertificateState {
    return certificateState(
      { status: certificate.revokedAt ? 'revoked' : 'issued', validUntil: certificate.validUntil },
      now,
    );
  }

  record(...args: Parameters<VerificationLog['record']>): void {
    this.log.record(...args);
  }

  /** Every check of the person's certificates, newest first: who (or "anonymous"), when, how, with what result. */
  async forHolder(
    personId: string,
    offset: number,
    limit: number,
  ): Promise<{ items: HolderLogEntry[]; total: number }> {
    await this.log.flush();
    const [{ total }] = await this.dataSource.query<{ total: number }[]>(
      `SELECT count(*)::int AS total
         FROM verifications r
         JOIN certificates c ON c.id = r.certificate_id
         JOIN applications a ON a.id = c.application_id
        WHERE a.applicant_id = $1`,
      [personId],
    );
    const rows: {
      id: string;
      number: string;
      type_name: string;
      institution_name: string | null;
      sector: VerifierSectorOrAnonymous;
      method: VerificationMethod;
      result: VerificationResult;
      checked_at: Date;
    }[] = await this.dataSource.query(
      `SELECT r.id, c.number, v.name AS type_name, i.name AS institution_name, r.sector, r.method, r.result, r.checked_at
         FROM verifications r
         JOIN certificates c ON c.id = r.certificate_id
         JOIN applications a ON a.id = c.application_id
         JOIN certificate_type_versions v ON v.id = c.type_version_id
         LEFT JOIN verifier_institutions i ON i.id = r.institution_id
        WHERE a.applicant_id = $1
        ORDER BY r.checked_at DESC, r.id
        OFFSET $2 LIMIT $3`,
      [personId, offset, limit],
    );
    return {
      total,
      items: rows.map((r) => ({
        id: r.id,
        certificateNumber: r.number,
        typeName: r.type_name,
        verifier: r.institution_name ?? SECTOR_OR_ANONYMOUS_NAMES.anonymous,
        sector: r.sector,
        sectorName: SECTOR_OR_ANONYMOUS_NAMES[r.sector],
        method: r.method,
        result: r.result,
        at: r.checked_at,
      })),
    };
  }

  private async findByNumber(input: string): Promise<CertificateRow | undefined> {
    const parts = parseCertificateNumber(input);
    if (!parts) return undefined;
    return (await this.byNumber.load(formatCertificateNumber(parts))) ?? undefined;
  }

  private async lookUp(numbers: readonly string[]): Promise<(CertificateRow | null)[]> {
    this.lookupsInFlight += 1;
    let rows: CertificateRow[];
    try {
      rows = await preparedQuery<CertificateRow>(
        this.dataSource,
        'verification-by-numbers',
        `${CERTIFICATE_SELECT} WHERE c.number = ANY($1::varchar[]) AND c.status <> 'pending'`,
        [numbers],
      );
    } finally {
      this.lookupsInFlight -= 1;
      // Each waiting batch starts its lookup (and counts itself in flight) as it runs.
      while (this.lookupsInFlight < MAX_LOOKUPS_IN_FLIGHT && this.waitingLookups.length > 0) {
        this.waitingLookups.shift()!();
      }
    }
    const found = new Map((await this.withCommittees(rows)).map((row) => [row.number, row]));
    return numbers.map((number) => found.get(number) ?? null);
  }

  /** The rows with their committees' names and codes, which the lookups leave out. */
  private async withCommittees(rows: CertificateRow[]): Promise<CertificateRow[]> {
    if (rows.length === 0) return rows;
    const committees = await this.organizations.of(rows.map((row) => row.committee_id));
    for (const row of rows) {
      const committee = committees.get(row.committee_id);
      row.committee_name = committee?.name ?? '';
      row.committee_code = committee?.code ?? '';
    }
    return rows;
  }

  private codeMatches(row: CertificateRow, input: string): boolean {
    const expected = Buffer.from(this.cipher.decrypt('verificationCode', row.verification_code_enc));
    const presented = Buffer.from(normalizeVerificationCode(input));
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }
}

function toState(row: CertificateRow): { status: CertificateStatus; validUntil: Date } {
  return { status: row.status, validUntil: row.valid_until };
}

function toCertificate(row: CertificateRow): VerifiedCertificate {
  return {
    id: row.id,
    number: row.number,
    typeCode: row.type_code,
    typeName: row.type_name,
    committeeName: row.committee_name,
    committeeCode: row.committee_code,
    issuedAt: row.issued_at,
    validUntil: row.valid_until,
    holderName: row.holder_name_masked,
    holderIdNumber: row.holder_id_masked,
    documentSha256: row.document_sha256,
    revokedAt: row.revoked_at,
    revocationReason: row.revocation_reason,
    sealId: row.seal_id,
    seal:
      row.seal_id && row.seal_status
        ? {
            name: row.seal_name ?? '',
            code: row.seal_code ?? '',
            certificateSerial: row.seal_serial_hex,
            atSigning:
              row.seal_status_at_signing && row.seal_since_at_signing
                ? {
                    status: row.seal_status_at_signing,
                    reason: row.seal_reason_at_signing,
                    since: row.seal_since_at_signing,
                  }
                : null,
            now: {
              status: row.seal_status,
              reason: row.seal_status_reason,
              since: row.seal_status_changed_at ?? row.seal_created_at!,
            },
          }
        : null,
  };
}
