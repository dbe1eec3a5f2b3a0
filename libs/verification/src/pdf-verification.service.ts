import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@zhengming/clock';
import { TIMESTAMP_CONFIG, type TimestampConfig } from '@zhengming/config';
import type { CertificateState } from '@zhengming/certificates';
import {
  checkPdfSignatures,
  PdfCheckError,
  PkiService,
  SealsService,
  type PdfCheckErrorCode,
  type TimestampCheck,
  type TrustAnchors,
} from '@zhengming/signing';
import { SealUseService, type SealedDocument } from '@zhengming/enterprises';
import type { VerificationResult } from './verification.entities';
import { VerificationErrorCode, VerificationException } from './verification.exception';
import {
  VerificationService,
  type SealVerification,
  type VerifiedCertificate,
  type Verifier,
} from './verification.service';

/** Why a PDF is not a valid certificate, as stable codes the page and API clients translate. */
export type PdfReason =
  | 'no_signatures'
  | 'signature_invalid'
  | 'not_whole_file'
  | 'untrusted_signer'
  | 'timestamp_invalid'
  | 'unknown_document'
  | 'document_mismatch'
  | 'certificate_revoked'
  | 'certificate_expired'
  | 'seal_not_in_force_at_signing';

export interface PdfSignatureVerdict {
  fieldName: string | null;
  signerName: string | null;
  organization: string | null;
  signingTime: Date | null;
  /** The signature time-stamp (PAdES B-T): its time and TSA, and whether it verifies; null without one. */
  timestamp: TimestampCheck | null;
  intact: boolean;
  coversWholeFile: boolean;
  chainsToRoot: boolean;
  problems: string[];
  certificateSerial: string | null;
  /** The seal whose certificate signed (current or replaced): its state at the signing time and now. */
  seal: SealVerification | null;
}

export interface PdfVerdict {
  valid: boolean;
  reasons: PdfReason[];
  sha256: string;
  bytes: number;
  signatures: PdfSignatureVerdict[];
  certificate: VerifiedCertificate | null;
  certificateStatus: CertificateState | null;
  /** The file is byte for byte the PDF we issued (or an enterprise seal use gave back). */
  documentMatches: boolean;
  /** The enterprise seal use that produced this file (用章记录), when it is not a certificate of ours. */
  sealUse: SealedDocument | null;
}

const ERROR_OF: Readonly<Record<PdfCheckErrorCode, VerificationErrorCode>> = {
  not_pdf: VerificationErrorCode.PdfNotPdf,
  malformed: VerificationErrorCode.PdfMalformed,
  encrypted: VerificationErrorCode.PdfEncrypted,
};

/**
 * The PDF check: a verdict computed from the uploaded file itself (every signature's integrity and
 * signer, coverage of the whole file, the chain to the district root), then matched against what we
 * issued and the certificate's status now.
 */
@Injectable()
export class PdfVerificationService {
  private readonly timestampRoots: X509Certificate[];

  constructor(
    private readonly pki: PkiService,
    private readonly verification: VerificationService,
    private readonly seals: SealsService,
    private readonly sealUses: SealUseService,
    private readonly clock: Clock,
    @Inject(TIMESTAMP_CONFIG) timestamp: TimestampConfig,
  ) {
    this.timestampRoots = timestamp.trustedRootsFile ? readCertificates(timestamp.trustedRootsFile) : [];
  }

  async check(file: Buffer, verifier: Verifier): Promise<PdfVerdict> {
    let inspected;
    try {
      inspected = await checkPdfSignatures(file, await this.anchors());
    } catch (error) {
      if (error instanceof PdfCheckError)
        throw new VerificationException(ERROR_OF[error.code], { reason: error.message });
      throw error;
    }
    const { signatures } = inspected;
    // A file with bytes appended after signing still identifies the certificate by the revision it signed.
    const certificate = await this.verification.findByDocument([
      inspected.sha256,
      ...signatures.map((s) => s.revisionSha256),
    ]);
    const revisions = [inspected.sha256, ...signatures.map((s) => s.revisionSha256)];
    // Not a certificate: perhaps a document an enterprise sealed through the seal-use service.
    const sealUse = certificate ? null : await this.sealUses.findByDocument(revisions);
    const documentMatches =
      certificate?.documentSha256 === inspected.sha256 || sealUse?.signedSha256 === inspected.sha256;
    const checkedAt = this.clock.now();
    const certificateStatus = certificate ? this.verification.stateOf(certificate, checkedAt) : null;
    // The seal's state when it signed: at the trusted time-stamp's time where there is a valid one,
    // else at the time the signature claims.
    const sealOf = await Promise.all(
      signatures.map((s) =>
        s.signer
          ? this.sealBySerial(s.signer.serialHex, (s.timestamp?.valid && s.timestamp.time) || s.signingTime)
          : null,
      ),
    );
    const last = signatures.at(-1);
    const reasons: PdfReason[] = [];
    if (!last) reasons.push('no_signatures');
    if (signatures.some((s) => !s.intact)) reasons.push('signature_invalid');
    if (last && !last.coversWholeFile) reasons.push('not_whole_file');
    if (signatures.some((s) => !s.chainsToRoot)) reasons.push('untrusted_signer');
    if (signatures.some((s) => s.timestamp && !s.timestamp.valid)) reasons.push('timestamp_invalid');
    if (!certificate && !sealUse) reasons.push('unknown_document');
    else if (!documentMatches) reasons.push('document_mismatch');
    if (certificateStatus === 'revoked') reasons.push('certificate_revoked');
    if (certificateStatus === 'expired') reasons.push('certificate_expired');
    // A seal signs only while active: a signature claiming a time the seal was suspended or revoked
    // (or did not exist yet) was not made by the platform.
    if (sealOf.some((seal) => seal && seal.atSigning?.status !== 'active'))
      reasons.push('seal_not_in_force_at_signing');
    const valid = reasons.length === 0;
    const result: VerificationResult = valid
      ? 'valid'
      : certificateStatus === 'revoked' || certificateStatus === 'expired'
        ? certificateStatus
        : 'invalid';
    this.verification.record({
      certificateId: certificate?.id ?? null,
      ...verifier,
      method: 'pdf',
      result,
      checkedAt,
    });
    return {
      valid,
      reasons,
      sha256: inspected.sha256,
      bytes: inspected.bytes,
      signatures: signatures.map((s, index) => ({
        fieldName: s.fieldName,
        signerName: s.signer?.commonName ?? null,
        organization: s.signer?.organization ?? null,
        signingTime: s.signingTime,
        timestamp: s.timestamp,
        intact: s.intact,
        coversWholeFile: s.coversWholeFile,
        chainsToRoot: s.chainsToRoot,
        problems: s.problems,
        certificateSerial: s.signer?.serialHex ?? null,
        seal: sealOf[index],
      })),
      certificate,
      certificateStatus,
      documentMatches,
      sealUse,
    };
  }

  private async sealBySerial(serialHex: string, signingTime: Date | null): Promise<SealVerification | null> {
    const found = await this.seals.bySerial(serialHex);
    if (!found) return null;
    const { seal, certificate } = found;
    const atSigning = signingTime ? await this.seals.stateAt(seal.id, signingTime) : null;
    return {
      name: seal.name,
      code: seal.code,
      certificateSerial: certificate.serialHex,
      atSigning,
      now: { status: seal.status, reason: seal.statusReason, since: seal.statusChangedAt ?? seal.createdAt },
    };
  }

  private async anchors(): Promise<TrustAnchors> {
    const { root, issuing } = await this.pki.chain();
    return {
      root: new X509Certificate(root.certificateDer),
      intermediates: [new X509Certificate(issuing.certificateDer)],
      timestampRoots: this.timestampRoots,
    };
  }
}

/** Every certificate of a PEM file (TSA_TRUSTED_ROOTS_FILE), read once at start: a bad file stops the start. */
function readCertificates(file: string): X509Certificate[] {
  const pem = readFileSync(file, 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`TSA_TRUSTED_ROOTS_FILE ${file} holds no PEM certificate`);
  return blocks.map((block) => new X509Certificate(block));
}
