import { createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import type { DataSigner, KeyAlgorithm } from '../keys/key-store';
import {
  contextTag,
  derNull,
  encodeDer,
  integer,
  octetString,
  oid,
  parseDer,
  sequence,
  set,
  unsignedInteger,
  type Asn1,
} from '../cms/der';

const { asn1 } = forge;
const { Class, Type } = asn1;

/** A name as X.509 carries it; C is a PrintableString, the rest UTF8String so Chinese names survive. */
export interface DistinguishedName {
  C?: string;
  ST?: string;
  L?: string;
  O?: string;
  OU?: string;
  CN: string;
  serialNumber?: string;
}

const NAME_OIDS: Record<keyof DistinguishedName, string> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  serialNumber: '2.5.4.5',
};
const NAME_ORDER: (keyof DistinguishedName)[] = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'serialNumber'];

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  crlDistributionPoints: '2.5.29.31',
} as const;

/** RFC 5280 §4.2.1.12 key purposes. */
export const EXTENDED_KEY_USAGE = {
  /** RFC 3161 §2.3: a TSA's certificate has exactly this purpose, critical. */
  timeStamping: '1.3.6.1.5.5.7.3.8',
} as const;
export type ExtendedKeyUsage = keyof typeof EXTENDED_KEY_USAGE;

/** RFC 5280 §4.2.1.3 bit positions. */
export const KEY_USAGE = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyCertSign: 5,
  cRLSign: 6,
} as const;
export type KeyUsage = keyof typeof KEY_USAGE;

export interface CertificateRequest {
  /** A name to write, or a Name node copied from an earlier certificate (a renewal keeps it byte for byte). */
  subject: DistinguishedName | Asn1;
  /** The issuer's subject; for a self-signed root, the subject itself. */
  issuer: DistinguishedName;
  subjectPublicKeySpki: Buffer;
  /** The issuer's public key, for the authority key identifier. */
  issuerPublicKeySpki: Buffer;
  notBefore: Date;
  notAfter: Date;
  ca?: { pathLength?: number };
  keyUsage: KeyUsage[];
  /** Written critical: the certificate may serve these purposes only. */
  extendedKeyUsage?: ExtendedKeyUsage[];
  serialNumber?: Buffer;
  /** Where the issuer publishes its CRL (RFC 5280 §4.2.1.13, a full-name URI). */
  crlDistributionPoint?: string;
}

export interface IssuedCertificate {
  der: Buffer;
  serialHex: string;
}

/**
 * Builds and signs an X.509 v3 certificate: node-forge writes the DER, the issuer's key (through the
 * key store) signs the TBSCertificate, so no private key is ever handed to JavaScript crypto.
 */
export async function issueCertificate(
  request: CertificateRequest,
  issuerSigner: DataSigner,
): Promise<IssuedCertificate> {
  const serial = request.serialNumber ?? positiveSerial();
  const signatureAlgorithm = signatureAlgorithmOf(issuerSigner.algorithm);
  const tbs = sequence([
    contextTag(0, [integer(2)]),
    unsignedInteger(serial),
    signatureAlgorithm,
    nameOf(request.issuer),
    sequence([time(request.notBefore), time(request.notAfter)]),
    isAsn1(request.subject) ? request.subject : nameOf(request.subject),
    parseDer(request.subjectPublicKeySpki),
    contextTag(3, [
      sequence([
        extension(OID.basicConstraints, true, basicConstraints(request.ca)),
        extension(OID.keyUsage, true, keyUsage(request.keyUsage)),
        ...(request.extendedKeyUsage?.length
          ? [
              extension(
                OID.extendedKeyUsage,
                true,
                sequence(request.extendedKeyUsage.map((purpose) => oid(EXTENDED_KEY_USAGE[purpose]))),
              ),
            ]
          : []),
        ...(request.crlDistributionPoint
          ? [extension(OID.crlDistributionPoints, false, crlDistributionPoints(request.crlDistributionPoint))]
          : []),
        extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(request.subjectPublicKeySpki))),
        extension(
          OID.authorityKeyIdentifier,
          false,
          sequence([asn1.create(Class.CONTEXT_SPECIFIC, 0, false, binary(keyIdentifier(request.issuerPublicKeySpki)))]),
        ),
      ]),
    ]),
  ]);
  const tbsDer = encodeDer(tbs);
  const signature = await issuerSigner.sign(tbsDer);
  const certificate = sequence([
    tbs,
    signatureAlgorithmOf(issuerSigner.algorithm),
    asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, '\x00' + binary(signature)),
  ]);
  return { der: encodeDer(certificate), serialHex: serial.toString('hex') };
}

export function signatureAlgorithmOf(algorithm: KeyAlgorithm): Asn1 {
  return algorithm === 'ec-p256' ? sequence([oid(OID.ecdsaWithSha256)]) : sequence([oid(OID.sha256WithRsa), derNull()]);
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value. */
export function keyIdentifier(spki: Buffer): Buffer {
  const info = parseDer(spki);
  const bits = (info.value as Asn1[])[1].value as string;
  return createHash('sha1')
    .update(Buffer.from(bits.slice(1), 'binary'))
    .digest();
}

export function binary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('binary');
}

function positiveSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  return serial;
}

export function time(date: Date): Asn1 {
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return date.getUTCFullYear() < 2050
    ? asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function nameOf(name: DistinguishedName): Asn1 {
  return asn1.create(
    Class.UNIVERSAL,
    Type.SEQUENCE,
    true,
    NAME_ORDER.filter((key) => name[key] !== undefined).map((key) =>
      set([
        sequence([
          oid(NAME_OIDS[key]),
          key === 'C' || key === 'serialNumber'
            ? asn1.create(Class.UNIVERSAL, Type.PRINTABLESTRING, false, name[key]!)
            : asn1.create(Class.UNIVERSAL, Type.UTF8, false, forge.util.encodeUtf8(name[key]!)),
        ]),
      ]),
    ),
  );
}

function isAsn1(value: DistinguishedName | Asn1): value is Asn1 {
  return 'tagClass' in value && 'value' in value;
}

/** The subject (or issuer) Name of a certificate exactly as encoded there, for a CRL's issuer field. */
export function subjectNameOf(certificateDer: Buffer): Asn1 {
  const tbs = (parseDer(certificateDer).value as Asn1[])[0];
  return (tbs.value as Asn1[])[5];
}

/** DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames { [6] URI } } }, no reasons, no issuer. */
function crlDistributionPoints(uri: string): Asn1 {
  const uriName = asn1.create(Class.CONTEXT_SPECIFIC, 6, false, uri);
  const fullName = asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [uriName]);
  return sequence([sequence([asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [fullName])])]);
}

export function extension(id: string, critical: boolean, value: Asn1): Asn1 {
  return sequence([
    oid(id),
    ...(critical ? [asn1.create(Class.UNIVERSAL, Type.BOOLEAN, false, '\xff')] : []),
    octetString(encodeDer(value)),
  ]);
}

function basicConstraints(ca: CertificateRequest['ca']): Asn1 {
  if (!ca) return sequence([]);
  return sequence([
    asn1.create(Class.UNIVERSAL, Type.BOOLEAN, false, '\xff'),
    ...(ca.pathLength === undefined ? [] : [integer(ca.pathLength)]),
  ]);
}

/** A named bit list in DER: trailing zero bits dropped and counted in the leading "unused bits" octet. */
function keyUsage(usages: KeyUsage[]): Asn1 {
  const bits = usages.reduce((value, usage) => value | (0x80 >> KEY_USAGE[usage]), 0);
  let unused = 0;
  while (unused < 7 && !(bits & (1 << unused))) unused++;
  return asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, String.fromCharCode(unused, bits));
}
