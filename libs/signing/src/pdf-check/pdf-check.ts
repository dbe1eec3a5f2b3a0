import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';
import {
  ParseSpeeds,
  PDFArray,
  PDFContext,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  PDFRef,
  PDFString,
} from 'pdf-lib';
import { readTimeStampToken } from '../timestamp/timestamp-response';
import { TimestampVerificationError, verifyTimeStampToken } from '../timestamp/timestamp-verify';
import { verifyCertificatePath } from './certificate-path';
import {
  CertificateReader,
  CmsFormatError,
  identifies,
  readSignedData,
  serialHex,
  verifySignature,
  type CertificateFacts,
  type SignerData,
} from './signed-data';

/**
 * Checks the signatures of an uploaded PDF from the file alone: which bytes each one covers, whether
 * its CMS verifies over them, and whether its signer chains to the district root. What the verdict
 * means for a certificate (is it ours, is it current) is the caller's decision.
 */

export interface TrustAnchors {
  root: X509Certificate;
  intermediates: X509Certificate[];
  /** Roots a signature time-stamp's TSA may chain to besides `root` (a national TSA's). */
  timestampRoots?: X509Certificate[];
}

export type PdfCheckErrorCode = 'not_pdf' | 'malformed' | 'encrypted';

/** The bytes are not a PDF this checker can read; the only error `checkPdfSignatures` throws. */
export class PdfCheckError extends Error {
  constructor(
    readonly code: PdfCheckErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PdfCheckError';
  }
}

/**
 * Stable machine codes:
 * - `byte_range_invalid`: /ByteRange is not four integers inside the file whose gap is exactly this
 *   dictionary's /Contents hex string; nothing else is checked then
 * - `not_whole_file`: the ranges do not start at 0 or do not end at the end of the file
 * - `cms_unparsable`: /Contents holds no SignedData with one SignerInfo
 * - `unsupported_algorithm`: a digest other than SHA-256/384/512, or a signature algorithm other than
 *   RSA PKCS#1 v1.5 or ECDSA
 * - `signer_certificate_missing`: the CMS does not carry the certificate its SignerInfo names
 * - `message_digest_missing`: signed attributes without a messageDigest
 * - `digest_mismatch`: the messageDigest is not the digest of the signed ranges
 * - `bad_signature`: the signature value does not verify under the signer's key
 * - `untrusted_signer`: no certification path from the signer to the root
 * - `certificate_not_valid_at_signing_time`: a path exists, but a certificate on it was expired or
 *   not yet valid at the signing time
 * - `timestamp_invalid`: a signature time-stamp token that does not verify (see `TimestampCheck`)
 */
export type SignatureProblem =
  | 'byte_range_invalid'
  | 'not_whole_file'
  | 'cms_unparsable'
  | 'unsupported_algorithm'
  | 'signer_certificate_missing'
  | 'message_digest_missing'
  | 'digest_mismatch'
  | 'bad_signature'
  | 'untrusted_signer'
  | 'certificate_not_valid_at_signing_time'
  | 'timestamp_invalid';

/** A signature time-stamp (PAdES B-T) as `verifyTimeStampToken` found it. */
export interface TimestampCheck {
  /** The token's genTime, when it could be read. */
  time: Date | null;
  /** The TSA certificate's common name, when the token could be verified. */
  authority: string | null;
  /**
   * The token is a TSA's signature over the hash of this signature's value, by a certificate for
   * time-stamping that chains to the district root (or a configured TSA root) at genTime.
   */
  valid: boolean;
  /** The first check that failed (`TimestampVerificationProblem`), null when valid. */
  problem: string | null;
}

export interface SignerSummary {
  commonName: string | null;
  organization: string | null;
  /** Lowercase hex, as the seal and certificate tables store it. */
  serialHex: string;
  /** As node:crypto prints it: one `type=value` per line. */
  subject: string;
}

export interface SignatureCheck {
  /** /T of the field whose /V is this signature, else null. */
  fieldName: string | null;
  /** From the certificate the SignerInfo names, when the CMS carries it. */
  signer: SignerSummary | null;
  /** The signed signingTime attribute, else the dictionary's /M (PAdES puts the claimed time there). */
  signingTime: Date | null;
  /** The signature time-stamp, null when the signature has none (PAdES B-B). */
  timestamp: TimestampCheck | null;
  /** The CMS signature verifies over the signed attributes and messageDigest equals the digest of the byte range. */
  intact: boolean;
  /** The ByteRange starts at 0, leaves exactly the /Contents hex string as its gap, and ends at end of file. */
  coversWholeFile: boolean;
  /**
   * The signer certificate chains (via certificates in the CMS and/or the given intermediates) to
   * anchors.root, signatures of each link verified, every certificate valid at the signing time
   * (now, where the file claims none).
   */
  chainsToRoot: boolean;
  /**
   * SHA-256 (hex) of the revision this signature covers: bytes [0, byteRange[2] + byteRange[3]).
   * Empty (it matches no document) when the ByteRange is not two ordered ranges inside the file.
   */
  revisionSha256: string;
  problems: SignatureProblem[];
}

export interface PdfCheck {
  /** SHA-256 (hex) of the whole file. */
  sha256: string;
  bytes: number;
  /** In order of appearance in the file. */
  signatures: SignatureCheck[];
}

/**
 * Reads `file` once with pdf-lib and checks every signature dictionary in it (objects with
 * /ByteRange and /Contents). A PDF without signatures yields `signatures: []`.
 * Throws `PdfCheckError` (and nothing else) when the bytes are not a readable, unencrypted PDF.
 */
export async function checkPdfSignatures(file: Buffer, anchors: TrustAnchors): Promise<PdfCheck> {
  const context = await parsePdf(file);
  try {
    const found = findSignatures(context);
    if (found.length > MAX_SIGNATURES) {
      throw new PdfCheckError('malformed', `The PDF has ${found.length} signature dictionaries`);
    }
    const ordered = found.length > 1 ? inFileOrder(file, found) : found;
    const check: CheckContext = {
      file,
      sha256: sha256Hex(file),
      anchors,
      certificates: new CertificateReader([anchors.root, ...anchors.intermediates]),
      links: new Map(),
    };
    return {
      sha256: check.sha256,
      bytes: file.length,
      signatures: ordered.map((signature) => checkSignature(check, signature)),
    };
  } catch (error) {
    if (error instanceof PdfCheckError) throw error;
    // Every expected flaw is a problem code; whatever else an uploaded file provokes (pdf-lib or
    // OpenSSL refusing some structure) still must not escape as anything but PdfCheckError.
    throw new PdfCheckError('malformed', `The PDF's signatures cannot be read: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * Each signature costs a pass over the bytes it covers: a crafted file with thousands of signature
 * dictionaries must not make one upload cost minutes. An issued certificate has two.
 */
const MAX_SIGNATURES = 32;

/**
 * ISO 32000-1 §7.5.2 and §7.5.5: a header at the start, an end-of-file marker at the end. Readers
 * tolerate both within 1024 bytes (Adobe's implementation notes); a file cut short has no marker.
 */
const HEADER_WINDOW = 1024;
const EOF_WINDOW = 1024;

function assertLooksLikePdf(file: Buffer): void {
  const header = file.indexOf('%PDF-', 0, 'latin1');
  if (header < 0 || header > HEADER_WINDOW) {
    throw new PdfCheckError('not_pdf', 'The file does not start with a %PDF- header');
  }
  if (file.lastIndexOf('%%EOF', file.length, 'latin1') < Math.max(0, file.length - EOF_WINDOW)) {
    throw new PdfCheckError('malformed', 'The PDF has no %%EOF marker at its end: it is truncated');
  }
}

/**
 * The document in `file`, read as the check reads it; throws `PdfCheckError` when the bytes are not a
 * readable, unencrypted PDF. The seal-use service signs what this accepts.
 */
export async function loadReadablePdf(file: Buffer): Promise<PDFDocument> {
  assertLooksLikePdf(file);
  let doc: PDFDocument;
  try {
    // Fastest: no yielding to the event loop every 100 objects, which costs a timer tick each.
    // throwOnInvalidObject: a broken object is a broken file here, not something to skip past.
    // ignoreEncryption: pdf-lib's EncryptedPDFError is compiled to ES5 and fails `instanceof`, and
    // it objects only when the /Encrypt reference resolves; the trailer is checked below instead.
    doc = await PDFDocument.load(file, {
      updateMetadata: false,
      throwOnInvalidObject: true,
      parseSpeed: ParseSpeeds.Fastest,
      ignoreEncryption: true,
    });
  } catch (error) {
    // An encrypted file may not even parse: its object streams do not inflate before decryption.
    if (mentionsEncryption(file)) throw new PdfCheckError('encrypted', 'The PDF is encrypted');
    throw new PdfCheckError('malformed', `The PDF cannot be parsed: ${messageOf(error)}`, { cause: error });
  }
  if (doc.context.trailerInfo.Encrypt !== undefined) {
    throw new PdfCheckError('encrypted', 'The PDF is encrypted');
  }
  if (!(doc.catalog instanceof PDFDict)) {
    throw new PdfCheckError('malformed', 'The PDF has no document catalog');
  }
  return doc;
}

async function parsePdf(file: Buffer): Promise<PDFContext> {
  return (await loadReadablePdf(file)).context;
}

/** An /Encrypt entry with a reference or dictionary value: only trailers and xref streams have one. */
function mentionsEncryption(file: Buffer): boolean {
  return /\/Encrypt[\0\t\n\f\r ]*(?:\d+[\0\t\n\f\r ]+\d+[\0\t\n\f\r ]+R|<<)/.test(file.toString('latin1'));
}

interface FoundSignature {
  dictionary: PDFDict;
  /** The indirect object the dictionary is (or, for a direct /V, the field that holds it). */
  holder: PDFRef;
  fieldName: string | null;
}

const NAMES = {
  byteRange: PDFName.of('ByteRange'),
  contents: PDFName.of('Contents'),
  type: PDFName.of('Type'),
  sig: PDFName.of('Sig'),
  value: PDFName.of('V'),
  fieldName: PDFName.of('T'),
  signedAt: PDFName.of('M'),
};

/**
 * Every signature dictionary, indirect or the direct /V of a field, with the /T of the field whose
 * /V it is. pdf-lib reads every object in the file, so a signature no field points to is still
 * found, and an object rewritten by an incremental update is seen as last written.
 */
function findSignatures(context: PDFContext): FoundSignature[] {
  const objects = context.enumerateIndirectObjects();
  const fieldNames = new Map<PDFRef, string | null>();
  const found: FoundSignature[] = [];
  for (const [ref, object] of objects) {
    if (!(object instanceof PDFDict)) continue;
    if (isSignatureDictionary(object)) {
      found.push({ dictionary: object, holder: ref, fieldName: null });
      continue;
    }
    const value = object.get(NAMES.value);
    if (value instanceof PDFRef) {
      fieldNames.set(value, textOf(object.lookup(NAMES.fieldName)));
    } else if (value instanceof PDFDict && isSignatureDictionary(value)) {
      found.push({ dictionary: value, holder: ref, fieldName: textOf(object.lookup(NAMES.fieldName)) });
    }
  }
  // PDFRef.of hands out one instance per object and generation number, so refs compare by identity.
  for (const signature of found) {
    signature.fieldName ??= fieldNames.get(signature.holder) ?? null;
  }
  return found;
}

/** ISO 32000-1 §12.8.1, Table 252: /Type is optional, and /DocTimeStamp dictionaries are not signatures. */
function isSignatureDictionary(dictionary: PDFDict): boolean {
  const type = dictionary.get(NAMES.type);
  const contents = dictionary.lookup(NAMES.contents);
  return (
    (type === undefined || type === NAMES.sig) &&
    dictionary.has(NAMES.byteRange) &&
    (contents instanceof PDFHexString || contents instanceof PDFString)
  );
}

/**
 * pdf-lib lists objects by number; the file order is where each holder object was last written
 * (the definition pdf-lib kept), found in one pass over the file. An object inside an object
 * stream has no header of its own and goes last.
 */
function inFileOrder(file: Buffer, found: FoundSignature[]): FoundSignature[] {
  const offsets = new Map<string, number>();
  for (const match of file.toString('latin1').matchAll(OBJECT_HEADER)) {
    offsets.set(`${match[1]} ${match[2]}`, match.index);
  }
  const offsetOf = (ref: PDFRef) =>
    offsets.get(`${ref.objectNumber} ${ref.generationNumber}`) ?? Number.MAX_SAFE_INTEGER;
  return found
    .map((signature) => ({ signature, offset: offsetOf(signature.holder) }))
    .sort((a, b) => a.offset - b.offset)
    .map(({ signature }) => signature);
}

/** `12 0 obj`, separated by PDF whitespace (ISO 32000-1 §7.2.2, Table 1). */
const OBJECT_HEADER = /(?<![0-9])(\d+)[\0\t\n\f\r ]+(\d+)[\0\t\n\f\r ]+obj(?![A-Za-z0-9])/g;

interface ByteRange {
  start1: number;
  length1: number;
  start2: number;
  length2: number;
}

/** One file's check: what its signatures are checked against, and what they share. */
interface CheckContext {
  file: Buffer;
  sha256: string;
  anchors: TrustAnchors;
  /** Every signature's CMS carries the same CA certificates: each is read once. */
  certificates: CertificateReader;
  /** Verdicts on issuer → subject links, shared by the signatures' certification paths. */
  links: Map<string, boolean>;
}

function checkSignature(context: CheckContext, found: FoundSignature): SignatureCheck {
  const { file } = context;
  const claimedTime = pdfDateOf(found.dictionary.lookup(NAMES.signedAt));
  const byteRange = readByteRange(found.dictionary.lookup(NAMES.byteRange), file.length);
  const revisionEnd = byteRange ? byteRange.start2 + byteRange.length2 : null;
  const verdict: SignatureCheck = {
    fieldName: found.fieldName,
    signer: null,
    signingTime: claimedTime,
    timestamp: null,
    intact: false,
    coversWholeFile: false,
    chainsToRoot: false,
    revisionSha256:
      revisionEnd === null
        ? ''
        : revisionEnd === file.length
          ? context.sha256
          : sha256Hex(file.subarray(0, revisionEnd)),
    problems: [],
  };
  const contents = byteRange && contentsInGap(file, byteRange, found.dictionary);
  if (!byteRange || !contents) {
    verdict.problems.push('byte_range_invalid');
    return verdict;
  }
  verdict.coversWholeFile = byteRange.start1 === 0 && revisionEnd === file.length;
  if (!verdict.coversWholeFile) verdict.problems.push('not_whole_file');

  let signerData: SignerData;
  try {
    signerData = readSignedData(contents);
  } catch (error) {
    if (!(error instanceof CmsFormatError)) throw error;
    verdict.problems.push('cms_unparsable');
    return verdict;
  }
  verdict.signingTime = signerData.signedAttributes?.signingTime ?? claimedTime;
  // Unreadable certificates are left out: they can neither sign nor issue.
  const certificates = signerData.certificates
    .map((certificate) => context.certificates.facts(certificate))
    .filter((facts) => facts !== null);
  const signer = certificates.find((certificate) => identifies(signerData.signerIdentifier, certificate)) ?? null;
  if (signer) {
    verdict.signer = {
      commonName: signer.commonName,
      organization: signer.organization,
      serialHex: serialHex(signer.serialNumber),
      subject: signer.x509.subject,
    };
  }
  verdict.intact = checkIntegrity(file, byteRange, signerData, signer, verdict.problems);
  verdict.timestamp = checkTimestamps(context, signerData, certificates);
  if (verdict.timestamp && !verdict.timestamp.valid) verdict.problems.push('timestamp_invalid');
  if (signer) {
    // A valid time-stamp proves the signature existed then: the signer's certificate is judged at that time.
    const at = verdict.timestamp?.valid ? verdict.timestamp.time : verdict.signingTime;
    verdict.chainsToRoot = checkTrust(context, signer, certificates, at, verdict.problems);
  }
  return verdict;
}

/**
 * Every signature time-stamp token of the SignerInfo, verified over its signature value; the first
 * that fails, else the first. The TSA's path may use the token's certificates, the CMS's and the
 * district's intermediates, and end at the district root or a configured TSA root.
 */
function checkTimestamps(
  context: CheckContext,
  signerData: SignerData,
  certificates: CertificateFacts[],
): TimestampCheck | null {
  const intermediates = [...context.anchors.intermediates, ...certificates.map((certificate) => certificate.x509)];
  const roots = [context.anchors.root, ...(context.anchors.timestampRoots ?? [])];
  const checks = signerData.timestampTokens.map((token) => {
    let failure: TimestampVerificationError | undefined;
    for (const root of roots) {
      try {
        const info = verifyTimeStampToken(token, signerData.signature, root, { intermediates });
        return {
          time: info.genTime,
          authority: commonNameOf(info.tsaCertificate),
          valid: true,
          problem: null,
        } satisfies TimestampCheck;
      } catch (error) {
        if (!(error instanceof TimestampVerificationError)) throw error;
        failure = error;
        // Another root can only help a token that is sound but for its path.
        if (error.problem !== 'untrusted') break;
      }
    }
    return {
      time: genTimeOf(token),
      authority: null,
      valid: false,
      problem: failure!.problem,
    } satisfies TimestampCheck;
  });
  return checks.find((check) => !check.valid) ?? checks[0] ?? null;
}

function genTimeOf(token: Buffer): Date | null {
  try {
    return readTimeStampToken(token).genTime;
  } catch {
    return null;
  }
}

function commonNameOf(certificate: X509Certificate | undefined): string | null {
  const line = certificate?.subject.split('\n').find((entry) => entry.startsWith('CN='));
  return line ? line.slice(3) : null;
}

/**
 * Four non-negative integers, the first range before the second, the second ending inside the file.
 * Anything else (a garbage range like [0 99999999 5 5], a placeholder never filled) is null.
 */
function readByteRange(value: unknown, fileLength: number): ByteRange | null {
  if (!(value instanceof PDFArray) || value.size() !== 4) return null;
  const numbers = value.asArray().map((entry) => (entry instanceof PDFNumber ? entry.asNumber() : -1));
  if (!numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) return null;
  const [start1, length1, start2, length2] = numbers;
  // The gap holds at least "<>".
  if (start1 + length1 + 2 > start2 || start2 + length2 > fileLength) return null;
  return { start1, length1, start2, length2 };
}

/**
 * The CMS in the ByteRange gap, read from the file's bytes: the gap must be exactly `<hex>`, the
 * same hex string pdf-lib read as this dictionary's /Contents (so the ranges belong to this
 * signature and not to another one's). Null otherwise. The hex may be zero-padded after the DER.
 */
function contentsInGap(file: Buffer, byteRange: ByteRange, dictionary: PDFDict): Buffer | null {
  const gapStart = byteRange.start1 + byteRange.length1;
  const gapEnd = byteRange.start2;
  if (file[gapStart] !== LESS_THAN || file[gapEnd - 1] !== GREATER_THAN) return null;
  const hex = file.toString('latin1', gapStart + 1, gapEnd - 1);
  const contents = dictionary.lookup(NAMES.contents);
  if (!(contents instanceof PDFHexString) || contents.asString() !== hex || !HEX.test(hex)) return null;
  // §7.3.4.3: a missing final digit is taken as 0.
  return Buffer.from(hex.length % 2 === 0 ? hex : `${hex}0`, 'hex');
}

const LESS_THAN = 0x3c;
const GREATER_THAN = 0x3e;
const HEX = /^[0-9A-Fa-f]*$/;

/**
 * RFC 5652 §5.4 and §5.6: with signed attributes, their messageDigest must equal the digest of the
 * signed ranges and the signature covers the attributes; without, the signature covers the ranges.
 */
function checkIntegrity(
  file: Buffer,
  byteRange: ByteRange,
  signerData: SignerData,
  signer: CertificateFacts | null,
  problems: SignatureProblem[],
): boolean {
  const { digest, signedAttributes } = signerData;
  if (!signer) problems.push('signer_certificate_missing');
  if (!digest) {
    problems.push('unsupported_algorithm');
    return false;
  }
  const ranges = [
    file.subarray(byteRange.start1, byteRange.start1 + byteRange.length1),
    file.subarray(byteRange.start2, byteRange.start2 + byteRange.length2),
  ];
  let digestMatches = true;
  if (signedAttributes) {
    const contentDigest = createHash(digest).update(ranges[0]).update(ranges[1]).digest();
    if (!signedAttributes.messageDigest) {
      problems.push('message_digest_missing');
      digestMatches = false;
    } else if (!signedAttributes.messageDigest.equals(contentDigest)) {
      problems.push('digest_mismatch');
      digestMatches = false;
    }
  }
  const publicKey = signer && publicKeyOf(signer);
  if (!publicKey) {
    if (signer) problems.push('unsupported_algorithm');
    return false;
  }
  const outcome = verifySignature(
    signerData.signatureAlgorithm,
    digest,
    publicKey,
    signedAttributes ? [signedAttributes.der] : ranges,
    signerData.signature,
  );
  if (outcome === 'unsupported') problems.push('unsupported_algorithm');
  if (outcome === 'invalid') problems.push('bad_signature');
  return digestMatches && outcome === 'valid';
}

/** node:crypto cannot import every key type a certificate may carry (GOST, say). */
function publicKeyOf(certificate: CertificateFacts): KeyObject | null {
  try {
    return certificate.x509.publicKey;
  } catch {
    return null;
  }
}

/** The path may use the CMS's certificates and the district's intermediates, but ends only at anchors.root. */
function checkTrust(
  context: CheckContext,
  signer: CertificateFacts,
  certificates: CertificateFacts[],
  signingTime: Date | null,
  problems: SignatureProblem[],
): boolean {
  const { anchors } = context;
  const candidates = [...anchors.intermediates, ...certificates.map((certificate) => certificate.x509)];
  const at = signingTime ?? new Date();
  const verdict = verifyCertificatePath(signer.x509, candidates, anchors.root, at, context.links);
  if (verdict === 'untrusted') problems.push('untrusted_signer');
  if (verdict === 'not_valid_at_time') problems.push('certificate_not_valid_at_signing_time');
  return verdict === 'trusted';
}

/** A PDF date (§7.9.4) as a Date, or null when absent or unreadable. */
function pdfDateOf(value: unknown): Date | null {
  if (!(value instanceof PDFString) && !(value instanceof PDFHexString)) return null;
  try {
    const date = value.decodeDate();
    return Number.isNaN(date.getTime()) ? null : date;
  } catch {
    return null;
  }
}

function textOf(value: unknown): string | null {
  if (!(value instanceof PDFString) && !(value instanceof PDFHexString)) return null;
  try {
    return value.decodeText();
  } catch {
    return null;
  }
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
