import { X509Certificate } from 'node:crypto';
import { encodeDer, isContextTag, parseDer, set, type Asn1 } from '../cms/der';
import { CertificateReader, identifies, serialHex, type SignerIdentifier } from '../pdf-check/signed-data';
import {
  Asn1Class,
  Asn1Type,
  contextChildren,
  HASH_ALGORITHMS,
  isUniversal,
  only,
  primitive,
  readBoolean,
  readGeneralizedTime,
  readHashAlgorithm,
  readNamedBits,
  readOctets,
  readOid,
  readSmallInteger,
  readUnsignedInteger,
  readUtf8,
  TimestampFormatError,
  TSP_OID,
  universal,
  type HashName,
} from './asn1';

export interface TimeStampResp {
  /** PKIStatus: 0 granted, 1 grantedWithMods, 2 rejection, 3 waiting, 4 revocationWarning, 5 revocationNotification. */
  status: number;
  /** PKIFreeText, its strings joined by "; ". */
  statusText?: string;
  /** The lowest PKIFailureInfo bit set: 0 badAlg, 2 badRequest, 5 badDataFormat, 14 timeNotAvailable, 15 unacceptedPolicy, 16 unacceptedExtension, 17 addInfoNotAvailable, 25 systemFailure. */
  failInfo?: number;
  /** The TimeStampToken: a DER ContentInfo holding a SignedData. */
  token?: Buffer;
}

export interface TimeStampTokenInfo {
  genTime: Date;
  /** TSTInfo serialNumber, lowercase hex without a sign octet. */
  serialHex: string;
  /** The TSA policy, a dotted OID. */
  policy: string;
  /** `algorithm` is the hash's dotted OID (SHA-256: 2.16.840.1.101.3.4.2.1). */
  messageImprint: { algorithm: string; digest: Buffer };
  /** Unsigned big-endian, without leading zero octets. */
  nonce?: Buffer;
  /** The certificate the SignerInfo names, where the token carries it. */
  tsaCertificate?: X509Certificate;
  accuracy?: { seconds: number; millis: number; micros: number };
}

/** Everything `verifyTimeStampToken` checks, taken apart once. */
export interface DecodedTimeStampToken {
  info: TimeStampTokenInfo;
  /** The encapsulated TSTInfo DER, as signed (the messageDigest covers these octets). */
  tstInfo: Buffer;
  /** The certificates the SignedData carries that node:crypto can read, in the order stored. */
  certificates: X509Certificate[];
  signer: {
    sid: SignerIdentifier;
    /** SignerInfo.digestAlgorithm as a hash name; undefined where it is none we know. */
    digest: HashName | undefined;
    signatureAlgorithm: string;
    signature: Buffer;
    signedAttributes: {
      /** Re-tagged as a DER SET OF: the bytes the signature covers (RFC 5652 §5.4). */
      der: Buffer;
      contentType: string | undefined;
      messageDigest: Buffer | undefined;
      /** The first ESSCertID(v2) of signingCertificateV2 (preferred) or signingCertificate: the signer's. */
      signerCertId: EssCertId | undefined;
    };
  };
}

export interface EssCertId {
  hash: HashName;
  certHash: Buffer;
  /** issuerSerial.serialNumber content octets, where present. */
  serialNumber?: Buffer;
}

/** PKIStatus values that come with a token. */
export const GRANTED_STATUSES: readonly number[] = [0, 1];

/**
 * Reads a DER TimeStampResp (RFC 3161 §2.4.2). Throws `TimestampFormatError` when the bytes are not one,
 * or not DER. The token, when there is one, is returned as sent but not looked into: see
 * `readTimeStampToken`.
 *
 *   TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
 *   PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }
 */
export function parseTimeStampResp(der: Buffer): TimeStampResp {
  const [statusInfo, token, ...rest] = universal(strictDer(der, 'TimeStampResp'), Asn1Type.SEQUENCE, 'TimeStampResp');
  if (rest.length > 0) throw new TimestampFormatError('TimeStampResp: unexpected elements after the token');
  const [status, ...optional] = universal(statusInfo, Asn1Type.SEQUENCE, 'PKIStatusInfo');
  const result: TimeStampResp = { status: readSmallInteger(status, 'PKIStatus') };
  if (isUniversal(optional[0], Asn1Type.SEQUENCE)) {
    const texts = universal(optional.shift(), Asn1Type.SEQUENCE, 'PKIFreeText');
    result.statusText = texts.map((text) => readUtf8(text, 'PKIFreeText')).join('; ');
  }
  if (isUniversal(optional[0], Asn1Type.BITSTRING)) {
    const bits = readNamedBits(optional.shift(), 'PKIFailureInfo');
    if (bits.length > 0) result.failInfo = bits[0];
  }
  if (optional.length > 0) throw new TimestampFormatError('PKIStatusInfo: unexpected elements');
  if (token) result.token = encodeDer(token);
  return result;
}

/**
 * What a TimeStampToken says: the TSTInfo fields and the TSA certificate, read with every element's
 * tag checked. Throws `TimestampFormatError`. The signature is NOT checked: see `verifyTimeStampToken`.
 */
export function readTimeStampToken(token: Buffer): TimeStampTokenInfo {
  return decodeTimeStampToken(token).info;
}

/** ContentInfo → SignedData (one SignerInfo, eContentType id-ct-TSTInfo) → TSTInfo. */
export function decodeTimeStampToken(token: Buffer): DecodedTimeStampToken {
  const [contentType, wrapped, ...extra] = universal(
    strictDer(token, 'TimeStampToken'),
    Asn1Type.SEQUENCE,
    'ContentInfo',
  );
  if (readOid(contentType, 'ContentInfo.contentType') !== TSP_OID.signedData || extra.length > 0) {
    throw new TimestampFormatError('The TimeStampToken is not a SignedData ContentInfo');
  }
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo, [0] IMPLICIT certificates
  // OPTIONAL, [1] IMPLICIT crls OPTIONAL, signerInfos }
  const signedData = universal(
    only(contextChildren(wrapped, 0, 'ContentInfo.content'), 'ContentInfo.content'),
    Asn1Type.SEQUENCE,
    'SignedData',
  );
  if (signedData.length < 4) throw new TimestampFormatError('The SignedData is incomplete');
  const [, , encapContentInfo] = signedData;
  const [eContentType, eContentField, ...encapExtra] = universal(
    encapContentInfo,
    Asn1Type.SEQUENCE,
    'EncapsulatedContentInfo',
  );
  if (readOid(eContentType, 'eContentType') !== TSP_OID.tstInfo || encapExtra.length > 0) {
    throw new TimestampFormatError('The SignedData does not encapsulate a TSTInfo');
  }
  const tstInfo = readOctets(only(contextChildren(eContentField, 0, 'eContent'), 'eContent'), 'eContent');
  const certificatesField = signedData.slice(3, -1).find((node) => isContextTag(node, 0));
  const certificateNodes = certificatesField
    ? // Other CertificateChoices are tagged; only X.509 certificates are of use here.
      contextChildren(certificatesField, 0, 'certificates').filter((node) => isUniversal(node, Asn1Type.SEQUENCE))
    : [];
  const signerInfos = universal(signedData[signedData.length - 1], Asn1Type.SET, 'signerInfos');
  if (signerInfos.length !== 1) {
    // RFC 3161 §2.4.2: the TSA signs alone.
    throw new TimestampFormatError(`The SignedData has ${signerInfos.length} SignerInfos, expected one`);
  }
  const signer = readSignerInfo(signerInfos[0]);

  const reader = new CertificateReader([]);
  const facts = certificateNodes.map((node) => reader.facts(node)).filter((fact) => fact !== null);
  const tsaCertificate = facts.find((fact) => identifies(signer.sid, fact))?.x509;

  return {
    info: { ...readTstInfo(tstInfo), ...(tsaCertificate ? { tsaCertificate } : {}) },
    tstInfo,
    certificates: facts.map((fact) => fact.x509),
    signer,
  };
}

/**
 *   TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy TSAPolicyId, messageImprint MessageImprint,
 *     serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL, ordering BOOLEAN DEFAULT FALSE,
 *     nonce INTEGER OPTIONAL, tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
 */
function readTstInfo(der: Buffer): Omit<TimeStampTokenInfo, 'tsaCertificate'> {
  let node: Asn1;
  try {
    node = parseDer(der);
  } catch (error) {
    throw new TimestampFormatError(`TSTInfo is not DER: ${error instanceof Error ? error.message : String(error)}`);
  }
  const [version, policy, imprint, serialNumber, genTime, ...optional] = universal(node, Asn1Type.SEQUENCE, 'TSTInfo');
  if (readSmallInteger(version, 'TSTInfo.version') !== 1) throw new TimestampFormatError('TSTInfo.version is not 1');
  const [hashAlgorithm, hashedMessage, ...imprintExtra] = universal(imprint, Asn1Type.SEQUENCE, 'MessageImprint');
  if (imprintExtra.length > 0) throw new TimestampFormatError('MessageImprint: unexpected elements');
  const info: Omit<TimeStampTokenInfo, 'tsaCertificate'> = {
    genTime: readGeneralizedTime(genTime, 'TSTInfo.genTime'),
    serialHex: serialHex(readUnsignedInteger(serialNumber, 'TSTInfo.serialNumber')),
    policy: readOid(policy, 'TSTInfo.policy'),
    messageImprint: {
      algorithm: readHashAlgorithm(hashAlgorithm, 'MessageImprint.hashAlgorithm'),
      digest: readOctets(hashedMessage, 'MessageImprint.hashedMessage'),
    },
  };
  if (isUniversal(optional[0], Asn1Type.SEQUENCE)) info.accuracy = readAccuracy(optional.shift());
  if (isUniversal(optional[0], Asn1Type.BOOLEAN)) readBoolean(optional.shift(), 'TSTInfo.ordering');
  if (isUniversal(optional[0], Asn1Type.INTEGER)) info.nonce = readUnsignedInteger(optional.shift(), 'TSTInfo.nonce');
  if (optional[0] && isContextTag(optional[0], 0)) optional.shift();
  if (optional[0] && isContextTag(optional[0], 1)) optional.shift();
  if (optional.length > 0) throw new TimestampFormatError('TSTInfo: unexpected elements');
  return info;
}

/** Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL } */
function readAccuracy(node: Asn1 | undefined): { seconds: number; millis: number; micros: number } {
  const accuracy = { seconds: 0, millis: 0, micros: 0 };
  const parts = universal(node, Asn1Type.SEQUENCE, 'Accuracy');
  if (isUniversal(parts[0], Asn1Type.INTEGER)) accuracy.seconds = readSmallInteger(parts.shift(), 'Accuracy.seconds');
  for (const [tag, field] of [
    [0, 'millis'],
    [1, 'micros'],
  ] as const) {
    const part = parts[0];
    if (part && isContextTag(part, tag) && typeof part.value === 'string') {
      parts.shift();
      const value = Buffer.from(part.value, 'latin1');
      if (value.length === 0 || value.length > 2) throw new TimestampFormatError(`Accuracy.${field} is out of range`);
      accuracy[field] = value.readUIntBE(0, value.length);
      if (accuracy[field] < 1 || accuracy[field] > 999) {
        throw new TimestampFormatError(`Accuracy.${field} is out of range`);
      }
    }
  }
  if (parts.length > 0) throw new TimestampFormatError('Accuracy: unexpected elements');
  return accuracy;
}

/** SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, [0] IMPLICIT signedAttrs, signatureAlgorithm, signature, [1] unsignedAttrs OPTIONAL } */
function readSignerInfo(node: Asn1): DecodedTimeStampToken['signer'] {
  const [, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature, ...rest] = universal(
    node,
    Asn1Type.SEQUENCE,
    'SignerInfo',
  );
  if (!signedAttrs || !isContextTag(signedAttrs, 0)) {
    // RFC 3161 §2.4.2 requires the ESS signing certificate attribute, so signed attributes.
    throw new TimestampFormatError('The SignerInfo has no signed attributes');
  }
  if (rest.length > 1 || (rest[0] && !isContextTag(rest[0], 1))) {
    throw new TimestampFormatError('SignerInfo: unexpected elements');
  }
  const [signatureOid] = universal(signatureAlgorithm, Asn1Type.SEQUENCE, 'SignerInfo.signatureAlgorithm');
  return {
    sid: readSignerIdentifier(sid),
    digest: HASH_ALGORITHMS[readHashAlgorithm(digestAlgorithm, 'SignerInfo.digestAlgorithm')]?.name,
    signatureAlgorithm: readOid(signatureOid, 'SignerInfo.signatureAlgorithm'),
    signature: readOctets(signature, 'SignerInfo.signature'),
    signedAttributes: readSignedAttributes(contextChildren(signedAttrs, 0, 'signedAttrs')),
  };
}

function readSignerIdentifier(sid: Asn1 | undefined): SignerIdentifier {
  if (sid && isContextTag(sid, 0) && typeof sid.value === 'string') {
    return { kind: 'subjectKeyIdentifier', keyIdentifier: Buffer.from(sid.value, 'latin1') };
  }
  const [issuer, serialNumber] = universal(sid, Asn1Type.SEQUENCE, 'SignerInfo.sid');
  universal(issuer, Asn1Type.SEQUENCE, 'SignerInfo.sid.issuer');
  return {
    kind: 'issuerAndSerialNumber',
    issuer: encodeDer(issuer),
    serialNumber: primitive(serialNumber, Asn1Type.INTEGER, 'SignerInfo.sid.serialNumber'),
  };
}

function readSignedAttributes(attributes: Asn1[]): DecodedTimeStampToken['signer']['signedAttributes'] {
  const seen = new Set<string>();
  const result: DecodedTimeStampToken['signer']['signedAttributes'] = {
    der: encodeDer(set(attributes)),
    contentType: undefined,
    messageDigest: undefined,
    signerCertId: undefined,
  };
  let essV1: EssCertId | undefined;
  for (const attribute of attributes) {
    const [type, values] = universal(attribute, Asn1Type.SEQUENCE, 'Attribute');
    const typeOid = readOid(type, 'Attribute.type');
    // RFC 5652 §5.3: each attribute type once.
    if (seen.has(typeOid)) throw new TimestampFormatError(`Signed attribute ${typeOid} appears twice`);
    seen.add(typeOid);
    const value = () => only(universal(values, Asn1Type.SET, `Attribute ${typeOid}`), `Attribute ${typeOid}`);
    if (typeOid === TSP_OID.contentType) result.contentType = readOid(value(), 'contentType');
    if (typeOid === TSP_OID.messageDigest) result.messageDigest = readOctets(value(), 'messageDigest');
    if (typeOid === TSP_OID.signingCertificateV2) result.signerCertId = readFirstEssCertId(value(), 2);
    if (typeOid === TSP_OID.signingCertificate) essV1 = readFirstEssCertId(value(), 1);
  }
  result.signerCertId ??= essV1;
  return result;
}

/**
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL } (RFC 5035)
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT sha256, certHash OCTET STRING, issuerSerial OPTIONAL }
 * SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, policies OPTIONAL } (RFC 2634)
 * ESSCertID ::= SEQUENCE { certHash OCTET STRING (SHA-1), issuerSerial OPTIONAL }
 * IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }
 */
function readFirstEssCertId(node: Asn1, version: 1 | 2): EssCertId | undefined {
  const [certs] = universal(node, Asn1Type.SEQUENCE, 'SigningCertificate');
  const [first] = universal(certs, Asn1Type.SEQUENCE, 'SigningCertificate.certs');
  if (!first) return undefined;
  const parts = universal(first, Asn1Type.SEQUENCE, 'ESSCertID');
  let hash: HashName = version === 2 ? 'sha256' : 'sha1';
  if (version === 2 && isUniversal(parts[0], Asn1Type.SEQUENCE)) {
    const algorithm = HASH_ALGORITHMS[readHashAlgorithm(parts.shift(), 'ESSCertIDv2.hashAlgorithm')];
    if (!algorithm) throw new TimestampFormatError('ESSCertIDv2: unknown hash algorithm');
    hash = algorithm.name;
  }
  const certHash = readOctets(parts.shift(), 'ESSCertID.certHash');
  const issuerSerial = parts.shift();
  const essCertId: EssCertId = { hash, certHash };
  if (issuerSerial) {
    const [, serialNumber] = universal(issuerSerial, Asn1Type.SEQUENCE, 'IssuerSerial');
    essCertId.serialNumber = primitive(serialNumber, Asn1Type.INTEGER, 'IssuerSerial.serialNumber');
  }
  return essCertId;
}

/** Parses `der`, which must be exactly one DER element: re-encoding gives back the same bytes. */
function strictDer(der: Buffer, what: string): Asn1 {
  let node: Asn1;
  try {
    node = parseDer(der);
  } catch (error) {
    throw new TimestampFormatError(`${what} is not DER: ${error instanceof Error ? error.message : String(error)}`);
  }
  // BER (indefinite lengths, long-form short lengths) is refused: the token is kept and verified as sent.
  if (!encodeDer(node).equals(der)) throw new TimestampFormatError(`${what} is BER, not DER`);
  if (node.tagClass !== Asn1Class.UNIVERSAL) throw new TimestampFormatError(`${what} is not a SEQUENCE`);
  return node;
}
