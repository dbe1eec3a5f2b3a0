import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { DataSigner, KeyAlgorithm } from '../keys/key-store';
import {
  children,
  contextTag,
  derNull,
  derSetOf,
  encodeDer,
  integer,
  isContextTag,
  octetString,
  oid,
  parseDer,
  sequence,
  set,
  type Asn1,
} from './der';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  sha256: '2.16.840.1.101.3.4.2.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** id-aa-signatureTimeStampToken (RFC 3161 Appendix A, ETSI EN 319 122-1 §5.3): an unsigned attribute. */
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  rsaEncryption: '1.2.840.113549.1.1.1',
} as const;

export interface CmsSignerInput {
  signer: DataSigner;
  /** The signer's certificate, DER. */
  certificate: Buffer;
  /**
   * The intermediates (the issuing CA), DER, not the root: a verifier needs the intermediates to build
   * the path, and must already trust the root, so a copy in the signature proves nothing. Leaving it
   * out keeps 2 KB of hex per signature out of every PDF.
   */
  chain: Buffer[];
  /**
   * A time-stamping authority: given, the signature value is time-stamped (PAdES B-T) and the token
   * added as the unsigned attribute signature-time-stamp. Without, the signature is B-B.
   */
  timestamper?: SignatureTimestamper;
}

/** What the signer needs of an RFC 3161 client (`TimestampClient` is one): a token over SHA-256 of `data`. */
export interface SignatureTimestamper {
  stamp(data: Buffer): Promise<{ token: Buffer }>;
}

/** What SignerInfo and ESSCertIDv2 take from the signer certificate. */
/** The parts of a certificate a SignerInfo and an ESSCertIDv2 name it by. */
export interface SignerIdentity {
  issuer: Asn1;
  serialNumber: Asn1;
  subject: Asn1;
}

/**
 * CAdES detached SignedData (a DER ContentInfo) over `contentDigest`, the SHA-256 of the signed bytes.
 *
 * The signed attributes are exactly those of a PAdES baseline B-B signature (ETSI EN 319 142-1 §6.3,
 * EN 319 122-1 §5.2): content-type, message-digest and signing-certificate-v2. signing-time must not
 * be present in PAdES: the claimed time is the signature dictionary's /M.
 */
export async function signDetachedCades(contentDigest: Buffer, input: CmsSignerInput): Promise<Buffer> {
  const identity = signerIdentity(input.certificate);
  const signedAttributes = cadesSignedAttributes(contentDigest, input.certificate, identity);
  // RFC 5652 §5.4: the signature covers the attributes encoded as an explicit SET OF (tag 0x31), not
  // as the [0] IMPLICIT field they are stored in.
  const signature = await input.signer.sign(encodeDer(signedAttributes));
  // ETSI EN 319 122-1 §5.3: the time-stamp is computed over the SignerInfo's signature value.
  const token = input.timestamper ? (await input.timestamper.stamp(signature)).token : undefined;
  return encodeContentInfo(input, input.signer.algorithm, identity, signedAttributes, signature, token);
}

/** Longest signature value a key of each algorithm yields: a DER ECDSA-Sig-Value with two 33-byte integers. */
const MAX_SIGNATURE_BYTES: Record<KeyAlgorithm, number> = { 'ec-p256': 72, 'rsa-2048': 256 };

/**
 * What the unsigned attribute around a token adds to a SignerInfo at most: [1] and the Attribute
 * SEQUENCE and SET headers (4 bytes each for a token under 64 KiB) and the 11-byte OID.
 */
const TIMESTAMP_ATTRIBUTE_OVERHEAD = 4 + 4 + 11 + 4;

/**
 * maxCadesSize's answers by certificates and algorithm. A committee's certificates are all signed
 * with the same seal, chain and approvers, and building the structure to measure it took about
 * 0.15 ms a call in the issuer's profile, more than the P-256 signature itself.
 */
const sizesSeen = new LRUCache<string, number>({ max: 256 });

/**
 * The largest DER size `signDetachedCades` can produce for these certificates (signer first): the
 * same structure built around a longest-possible signature, so the estimate cannot drift from the
 * encoder; plus room for a signature time-stamp token of `timestampTokenBytes`, when one is expected.
 */
export function maxCadesSize(certificates: Buffer[], algorithm: KeyAlgorithm, timestampTokenBytes = 0): number {
  const [certificate, ...chain] = certificates;
  if (!certificate) {
    throw new Error('The signer certificate is required to size a CMS signature');
  }
  const key = createHash('sha256');
  for (const der of certificates) key.update(der);
  const sizeKey = `${algorithm}:${key.digest('base64')}`;
  let size = sizesSeen.get(sizeKey);
  if (size === undefined) {
    const identity = signerIdentity(certificate);
    const signedAttributes = cadesSignedAttributes(Buffer.alloc(32), certificate, identity);
    const signature = Buffer.alloc(MAX_SIGNATURE_BYTES[algorithm], 0xff);
    size = encodeContentInfo({ certificate, chain }, algorithm, identity, signedAttributes, signature).length;
    sizesSeen.set(sizeKey, size);
  }
  // The outer SEQUENCE headers grow by at most 2 bytes each (SignerInfo, SET, SignedData, [0], ContentInfo).
  return timestampTokenBytes > 0 ? size + timestampTokenBytes + TIMESTAMP_ATTRIBUTE_OVERHEAD + 5 * 2 : size;
}

function cadesSignedAttributes(contentDigest: Buffer, certificate: Buffer, identity: SignerIdentity): Asn1 {
  if (contentDigest.length !== 32) {
    throw new Error(`A SHA-256 content digest is 32 bytes, got ${contentDigest.length}`);
  }
  return derSetOf([
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, octetString(contentDigest)),
    attribute(OID.signingCertificateV2, signingCertificateV2(certificate, identity)),
  ]);
}

function encodeContentInfo(
  certificates: Pick<CmsSignerInput, 'certificate' | 'chain'>,
  algorithm: KeyAlgorithm,
  identity: SignerIdentity,
  signedAttributes: Asn1,
  signature: Buffer,
  timestampToken?: Buffer,
): Buffer {
  const signerInfo = sequence([
    integer(1),
    sequence([identity.issuer, identity.serialNumber]),
    digestAlgorithm(),
    contextTag(0, children(signedAttributes)),
    signatureAlgorithm(algorithm),
    octetString(signature),
    // unsignedAttrs [1] IMPLICIT SET OF Attribute (RFC 5652 §5.3); one attribute needs no sorting.
    ...(timestampToken ? [contextTag(1, [attribute(OID.signatureTimeStampToken, tokenElement(timestampToken))])] : []),
  ]);
  const signedData = sequence([
    integer(1),
    set([digestAlgorithm()]),
    sequence([oid(OID.data)]),
    contextTag(
      0,
      [certificates.certificate, ...certificates.chain].map((der) => parseDer(der)),
    ),
    set([signerInfo]),
  ]);
  return encodeDer(sequence([oid(OID.signedData), contextTag(0, [signedData])]));
}

/** The token as an element to embed; it must re-encode to the very bytes the TSA signed and sent. */
function tokenElement(token: Buffer): Asn1 {
  const element = parseDer(token);
  if (!encodeDer(element).equals(token)) {
    throw new Error('The time-stamp token is not in DER: it cannot be embedded unchanged');
  }
  return element;
}

export function signerIdentity(certificateDer: Buffer): SignerIdentity {
  // Certificate ::= SEQUENCE { tbsCertificate, ... }; TBSCertificate starts with an optional
  // [0] version, then serialNumber, signature, issuer, validity, subject.
  const tbs = children(children(parseDer(certificateDer))[0]);
  const start = isContextTag(tbs[0], 0) ? 1 : 0;
  return { serialNumber: tbs[start], issuer: tbs[start + 2], subject: tbs[start + 4] };
}

/** Attribute ::= SEQUENCE { attrType OID, attrValues SET OF value }, with one value. */
export function attribute(type: string, value: Asn1): Asn1 {
  return sequence([oid(type), set([value])]);
}

/**
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 } (RFC 5035). hashAlgorithm is
 * omitted because SHA-256 is its DEFAULT and DER forbids encoding a default value.
 */
export function signingCertificateV2(certificateDer: Buffer, identity: SignerIdentity): Asn1 {
  const certHash = createHash('sha256').update(certificateDer).digest();
  // IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber }; directoryName is [4], EXPLICIT
  // because Name is a CHOICE.
  const issuerSerial = sequence([sequence([contextTag(4, [identity.issuer])]), identity.serialNumber]);
  return sequence([sequence([sequence([octetString(certHash), issuerSerial])])]);
}

/** RFC 5754 §2: SHA-2 AlgorithmIdentifiers carry no parameters. */
export function digestAlgorithm(): Asn1 {
  return sequence([oid(OID.sha256)]);
}

/** RFC 5754 §3.3: ECDSA with no parameters; RFC 3370 §3.2: rsaEncryption with NULL parameters. */
export function signatureAlgorithm(algorithm: KeyAlgorithm): Asn1 {
  switch (algorithm) {
    case 'ec-p256':
      return sequence([oid(OID.ecdsaWithSha256)]);
    case 'rsa-2048':
      return sequence([oid(OID.rsaEncryption), derNull()]);
  }
}
