import { createVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import forge from 'node-forge';
import { OID } from '../cms/cades-signed-data';
import { children, encodeDer, isContextTag, parseDer, set, type Asn1 } from '../cms/der';

/**
 * Reading and checking a CMS SignedData (RFC 5652) as found in a PDF signature's /Contents. Every
 * element is taken apart by forge.asn1 and its tag checked before use: the bytes come from an
 * uploaded file, and anything unexpected is a `CmsFormatError`, never a TypeError.
 */

const { Class, Type } = forge.asn1;

export type DigestName = 'sha256' | 'sha384' | 'sha512';

/** RFC 5754 §2. SHA-1 and older are not accepted: they are not what a PAdES signer may use today. */
const DIGEST_ALGORITHMS: Record<string, DigestName> = {
  [OID.sha256]: 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

interface SignatureAlgorithm {
  keyType: 'ec' | 'rsa';
  /** Absent where the OID names only the key type and SignerInfo.digestAlgorithm gives the hash. */
  hash?: DigestName;
}

/** RFC 3370 §3.2 and RFC 4055 (RSA PKCS#1 v1.5), RFC 5753 §7.2 and RFC 5758 §3.2 (ECDSA). */
const SIGNATURE_ALGORITHMS: Record<string, SignatureAlgorithm> = {
  [OID.rsaEncryption]: { keyType: 'rsa' },
  '1.2.840.113549.1.1.11': { keyType: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { keyType: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { keyType: 'rsa', hash: 'sha512' },
  [OID.ecdsaWithSha256]: { keyType: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { keyType: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { keyType: 'ec', hash: 'sha512' },
  // id-ecPublicKey: some signers name the key instead of the signature algorithm.
  '1.2.840.10045.2.1': { keyType: 'ec' },
};

const NAME_OID = { commonName: '2.5.4.3', organization: '2.5.4.10' } as const;
const SUBJECT_KEY_IDENTIFIER_OID = '2.5.29.14';

/** The CMS is not a SignedData this checker can read. */
export class CmsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CmsFormatError';
  }
}

export type SignerIdentifier =
  | { kind: 'issuerAndSerialNumber'; issuer: Buffer; serialNumber: Buffer }
  | { kind: 'subjectKeyIdentifier'; keyIdentifier: Buffer };

export interface SignedAttributes {
  /** The attributes re-tagged as a DER SET OF (0x31): the bytes the signature covers (RFC 5652 §5.4). */
  der: Buffer;
  messageDigest: Buffer | null;
  signingTime: Date | null;
}

/** The one SignerInfo of a SignedData, with the certificates the SignedData carries. */
export interface SignerData {
  /** The X.509 Certificate elements, in the order stored. */
  certificates: Asn1[];
  signerIdentifier: SignerIdentifier;
  /** Undefined where the OID is not SHA-256, SHA-384 or SHA-512. */
  digest: DigestName | undefined;
  signedAttributes: SignedAttributes | null;
  signatureAlgorithm: string;
  signature: Buffer;
  /** The values of the unsigned attribute signature-time-stamp (PAdES B-T), DER, in the order stored. */
  timestampTokens: Buffer[];
}

/**
 * What the checker needs from one certificate of the CMS; shared between checks (see
 * CertificateReader), so never changed.
 */
export interface CertificateFacts {
  readonly x509: X509Certificate;
  readonly issuer: Buffer;
  /** The INTEGER content octets as encoded. */
  readonly serialNumber: Buffer;
  readonly subjectKeyIdentifier: Buffer | null;
  readonly commonName: string | null;
  readonly organization: string | null;
}

/**
 * forge's typings only declare the `strict` flag. /Contents is zero-padded after the CMS, so only
 * the leading element is parsed (`parseAllBytes: false`); BIT STRINGs stay undecoded so that
 * certificates re-encode to exactly the bytes they were issued with.
 */
const fromDerLeading = forge.asn1.fromDer as unknown as (
  bytes: string,
  options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
) => Asn1;

/** ContentInfo → SignedData → its single SignerInfo. Throws `CmsFormatError`. */
export function readSignedData(contents: Buffer): SignerData {
  try {
    return readContentInfo(
      fromDerLeading(contents.toString('latin1'), { strict: true, parseAllBytes: false, decodeBitStrings: false }),
    );
  } catch (error) {
    if (error instanceof CmsFormatError) throw error;
    throw new CmsFormatError(`The CMS is not valid DER: ${messageOf(error)}`);
  }
}

function readContentInfo(contentInfo: Asn1): SignerData {
  const [contentType, wrapped] = universal(contentInfo, Type.SEQUENCE);
  if (oidOf(contentType) !== OID.signedData || !wrapped || !isContextTag(wrapped, 0)) {
    throw new CmsFormatError('The CMS is not a SignedData');
  }
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo, [0] certificates OPTIONAL,
  // [1] crls OPTIONAL, signerInfos }
  const signedData = universal(only(children(wrapped)), Type.SEQUENCE);
  const certificatesField = signedData.find((node) => isContextTag(node, 0));
  const certificates = certificatesField
    ? // Other CertificateChoices (attribute certificates and the like) are tagged; only X.509 is used here.
      children(certificatesField).filter((node) => node.tagClass === Class.UNIVERSAL && node.type === Type.SEQUENCE)
    : [];
  const signerInfos = universal(signedData[signedData.length - 1], Type.SET);
  if (signerInfos.length !== 1) {
    // PAdES (ETSI EN 319 142-1 §6.3) allows exactly one signer per signature dictionary.
    throw new CmsFormatError(`The SignedData has ${signerInfos.length} SignerInfos, expected one`);
  }
  return { certificates, ...readSignerInfo(signerInfos[0]) };
}

/** SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, [0] signedAttrs OPTIONAL, signatureAlgorithm, signature, ... } */
function readSignerInfo(node: Asn1): Omit<SignerData, 'certificates'> {
  const [, sid, digestAlgorithm, ...rest] = universal(node, Type.SEQUENCE);
  if (!sid || !digestAlgorithm) throw new CmsFormatError('The SignerInfo is incomplete');
  const signedAttributesField = rest[0] && isContextTag(rest[0], 0) ? rest.shift() : undefined;
  const [signatureAlgorithm, signature, unsignedAttributesField] = rest;
  if (!signatureAlgorithm || !signature) throw new CmsFormatError('The SignerInfo has no signature');
  return {
    signerIdentifier: readSignerIdentifier(sid),
    digest: DIGEST_ALGORITHMS[algorithmOid(digestAlgorithm)],
    signedAttributes: signedAttributesField ? readSignedAttributes(signedAttributesField) : null,
    signatureAlgorithm: algorithmOid(signatureAlgorithm),
    signature: octetsOf(signature),
    timestampTokens:
      unsignedAttributesField && isContextTag(unsignedAttributesField, 1)
        ? readTimestampTokens(unsignedAttributesField)
        : [],
  };
}

/** unsignedAttrs [1] IMPLICIT SET OF Attribute: every value of id-aa-signatureTimeStampToken (RFC 3161 Appendix A). */
function readTimestampTokens(field: Asn1): Buffer[] {
  const tokens: Buffer[] = [];
  for (const attribute of children(field)) {
    const [type, values] = universal(attribute, Type.SEQUENCE);
    if (oidOf(type) !== OID.signatureTimeStampToken) continue;
    for (const value of universal(values, Type.SET)) tokens.push(encodeDer(value));
  }
  return tokens;
}

/** SignerIdentifier ::= CHOICE { issuerAndSerialNumber, [0] IMPLICIT SubjectKeyIdentifier } */
function readSignerIdentifier(sid: Asn1): SignerIdentifier {
  if (isContextTag(sid, 0) && typeof sid.value === 'string') {
    return { kind: 'subjectKeyIdentifier', keyIdentifier: Buffer.from(sid.value, 'latin1') };
  }
  const [issuer, serialNumber] = universal(sid, Type.SEQUENCE);
  if (!issuer || !serialNumber || serialNumber.type !== Type.INTEGER || typeof serialNumber.value !== 'string') {
    throw new CmsFormatError('The SignerInfo sid is neither issuerAndSerialNumber nor subjectKeyIdentifier');
  }
  return {
    kind: 'issuerAndSerialNumber',
    issuer: encodeDer(issuer),
    serialNumber: Buffer.from(serialNumber.value, 'latin1'),
  };
}

function readSignedAttributes(field: Asn1): SignedAttributes {
  const attributes = children(field);
  const seen = new Set<string>();
  let messageDigest: Buffer | null = null;
  let signingTime: Date | null = null;
  for (const attribute of attributes) {
    const [type, values] = universal(attribute, Type.SEQUENCE);
    const typeOid = oidOf(type);
    // RFC 5652 §5.3: an attribute type appears once; messageDigest and signingTime carry one value.
    if (seen.has(typeOid)) throw new CmsFormatError(`Signed attribute ${typeOid} appears twice`);
    seen.add(typeOid);
    if (typeOid === OID.messageDigest) messageDigest = octetsOf(only(universal(values, Type.SET)));
    if (typeOid === OID.signingTime) signingTime = timeOf(only(universal(values, Type.SET)));
  }
  return { der: encodeDer(set(attributes)), messageDigest, signingTime };
}

/**
 * Facts of certificates read before, by DER, or false for one that could not be read. The same few
 * come back in every signature and every time-stamp token (the district's CAs, the TSA's, the seals'),
 * and node:crypto takes about half a millisecond to parse one. Facts depend on the bytes alone.
 * Bounded by bytes too: uploaded PDFs choose their certificates, and their sizes.
 */
const readBefore = new LRUCache<string, CertificateFacts | false>({
  max: 512,
  maxSize: 4 * 1024 * 1024,
  maxEntrySize: 64 * 1024,
  sizeCalculation: (_facts, der) => der.length,
});

/**
 * Reads each distinct certificate once: the district's own are taken as given, and any certificate
 * read before (in this check or an earlier one) is not parsed again.
 */
export class CertificateReader {
  private readonly known: Map<string, X509Certificate>;

  constructor(known: X509Certificate[]) {
    this.known = new Map(known.map((certificate) => [certificate.raw.toString('latin1'), certificate]));
  }

  /** The certificate's facts, or null where node:crypto or the reading below fails on it. */
  facts(certificate: Asn1): CertificateFacts | null {
    const der = encodeDer(certificate);
    const key = der.toString('latin1');
    let facts = readBefore.get(key);
    if (facts === undefined) {
      try {
        facts = readCertificate(certificate, this.known.get(key) ?? new X509Certificate(der));
      } catch {
        // Whatever the reason (not DER node:crypto accepts, a name that is no Name), it is unusable.
        facts = false;
      }
      readBefore.set(key, facts);
    }
    return facts || null;
  }
}

/** Name, serial number, key identifier and the readable subject parts of one certificate. */
function readCertificate(certificate: Asn1, x509: X509Certificate): CertificateFacts {
  // TBSCertificate ::= SEQUENCE { [0] version, serialNumber, signature, issuer, validity, subject,
  // subjectPublicKeyInfo, [1], [2], [3] extensions }
  const tbs = universal(universal(certificate, Type.SEQUENCE)[0], Type.SEQUENCE);
  const start = tbs[0] && isContextTag(tbs[0], 0) ? 1 : 0;
  const serialNumber = tbs[start];
  if (serialNumber?.type !== Type.INTEGER || typeof serialNumber.value !== 'string') {
    throw new CmsFormatError('The certificate has no serial number');
  }
  const subject = tbs[start + 4];
  const extensions = tbs.find((node) => isContextTag(node, 3));
  return {
    x509,
    issuer: encodeDer(tbs[start + 2]),
    serialNumber: Buffer.from(serialNumber.value, 'latin1'),
    subjectKeyIdentifier: extensions ? subjectKeyIdentifierOf(extensions) : null,
    commonName: nameAttribute(subject, NAME_OID.commonName),
    organization: nameAttribute(subject, NAME_OID.organization),
  };
}

/** Whether `certificate` is the one the SignerInfo names. */
export function identifies(sid: SignerIdentifier, certificate: CertificateFacts): boolean {
  if (sid.kind === 'subjectKeyIdentifier') {
    return certificate.subjectKeyIdentifier !== null && certificate.subjectKeyIdentifier.equals(sid.keyIdentifier);
  }
  return certificate.serialNumber.equals(sid.serialNumber) && certificate.issuer.equals(sid.issuer);
}

/** A serial number as x509.ts writes it: lowercase hex of the positive value, without DER's sign octet. */
export function serialHex(serialNumber: Buffer): string {
  const unsigned = serialNumber.length > 1 && serialNumber[0] === 0 ? serialNumber.subarray(1) : serialNumber;
  return unsigned.toString('hex');
}

export type SignatureOutcome = 'valid' | 'invalid' | 'unsupported';

/**
 * Verifies the SignerInfo's signature over `signed` (the signed attributes, or the content itself
 * when there are none). The hash is the signature algorithm's own where it names one, else the
 * SignerInfo's digest algorithm.
 */
export function verifySignature(
  signatureAlgorithm: string,
  digest: DigestName,
  publicKey: KeyObject,
  signed: Buffer[],
  signature: Buffer,
): SignatureOutcome {
  const algorithm = SIGNATURE_ALGORITHMS[signatureAlgorithm];
  if (!algorithm) return 'unsupported';
  // A signature declared as ECDSA cannot be valid under an RSA key, whatever the bytes.
  if (publicKey.asymmetricKeyType !== algorithm.keyType) return 'invalid';
  const verifier = createVerify(algorithm.hash ?? digest);
  for (const part of signed) verifier.update(part);
  try {
    return verifier.verify(publicKey, signature) ? 'valid' : 'invalid';
  } catch {
    // OpenSSL rejects some malformed signature values outright instead of answering false.
    return 'invalid';
  }
}

function subjectKeyIdentifierOf(extensionsField: Asn1): Buffer | null {
  for (const extension of universal(only(children(extensionsField)), Type.SEQUENCE)) {
    const parts = universal(extension, Type.SEQUENCE);
    if (oidOf(parts[0]) === SUBJECT_KEY_IDENTIFIER_OID) {
      // extnValue is an OCTET STRING holding the DER of KeyIdentifier ::= OCTET STRING.
      return octetsOf(parseDer(octetsOf(parts[parts.length - 1])));
    }
  }
  return null;
}

/** The first value of `type` in a Name (RDNSequence), decoded as text. */
function nameAttribute(name: Asn1 | undefined, type: string): string | null {
  if (!name) return null;
  for (const rdn of universal(name, Type.SEQUENCE)) {
    for (const pair of universal(rdn, Type.SET)) {
      const [attributeType, value] = universal(pair, Type.SEQUENCE);
      if (oidOf(attributeType) === type && value && typeof value.value === 'string') {
        return directoryString(value);
      }
    }
  }
  return null;
}

/** DirectoryString (RFC 5280 §4.1.2.4): UTF8String and BMPString decoded; the ASCII types as they are. */
function directoryString(node: Asn1): string {
  const raw = Buffer.from(node.value as string, 'latin1');
  if (node.type === Type.UTF8) return raw.toString('utf8');
  if (node.type === Type.BMPSTRING) return Buffer.from(raw).swap16().toString('utf16le');
  return raw.toString('latin1');
}

function timeOf(node: Asn1): Date | null {
  if (node.tagClass !== Class.UNIVERSAL || typeof node.value !== 'string') return null;
  const date =
    node.type === Type.UTCTIME
      ? forge.asn1.utcTimeToDate(node.value)
      : node.type === Type.GENERALIZEDTIME
        ? forge.asn1.generalizedTimeToDate(node.value)
        : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
function algorithmOid(node: Asn1): string {
  return oidOf(universal(node, Type.SEQUENCE)[0]);
}

/** The children of a constructed UNIVERSAL element of `type`. */
function universal(node: Asn1 | undefined, type: forge.asn1.Type): Asn1[] {
  if (!node || node.tagClass !== Class.UNIVERSAL || node.type !== type || !Array.isArray(node.value)) {
    throw new CmsFormatError(`Expected a constructed ASN.1 element of type ${type}`);
  }
  return node.value;
}

function only(nodes: Asn1[]): Asn1 {
  if (nodes.length !== 1) throw new CmsFormatError(`Expected one ASN.1 element, found ${nodes.length}`);
  return nodes[0];
}

function oidOf(node: Asn1 | undefined): string {
  if (!node || node.tagClass !== Class.UNIVERSAL || node.type !== Type.OID || typeof node.value !== 'string') {
    throw new CmsFormatError('Expected an OBJECT IDENTIFIER');
  }
  return forge.asn1.derToOid(node.value);
}

function octetsOf(node: Asn1 | undefined): Buffer {
  if (!node || node.tagClass !== Class.UNIVERSAL || node.type !== Type.OCTETSTRING || typeof node.value !== 'string') {
    throw new CmsFormatError('Expected a primitive OCTET STRING');
  }
  return Buffer.from(node.value, 'latin1');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
