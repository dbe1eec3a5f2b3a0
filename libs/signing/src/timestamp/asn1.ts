import forge from 'node-forge';
import { OID as CMS_OID } from '../cms/cades-signed-data';
import { children, isContextTag, type Asn1 } from '../cms/der';

/**
 * What RFC 3161 needs beyond `../cms/der`: the few primitive types CMS signatures never use
 * (BOOLEAN, GeneralizedTime, a named BIT STRING, UTF8String, an IMPLICIT primitive tag), made with
 * `forge.asn1.create` like the rest, and strict readers that turn anything unexpected into a
 * `TimestampFormatError`. Nothing here writes tag or length octets by hand.
 */

const { Class, Type } = forge.asn1;

export const TSP_OID = {
  ...CMS_OID,
  /** id-ct-TSTInfo, RFC 3161 §2.4.2. */
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  /** id-aa-signingCertificate (ESS v1, SHA-1 certificate hashes), RFC 2634 §5.4. */
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  /** id-kp-timeStamping, RFC 3161 §2.3. */
  timeStamping: '1.3.6.1.5.5.7.3.8',
  extendedKeyUsage: '2.5.29.37',
  sha1: '1.3.14.3.2.26',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** Hash algorithms by OID, with their digest length. SHA-1 only reads ESS v1 certificate ids. */
export const HASH_ALGORITHMS: Record<string, { name: HashName; length: number }> = {
  [TSP_OID.sha1]: { name: 'sha1', length: 20 },
  [TSP_OID.sha256]: { name: 'sha256', length: 32 },
  [TSP_OID.sha384]: { name: 'sha384', length: 48 },
  [TSP_OID.sha512]: { name: 'sha512', length: 64 },
};

/** PKIStatus, RFC 3161 §2.4.2. */
export const PKI_STATUS = {
  granted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
} as const;

/** PKIFailureInfo bit numbers, RFC 3161 §2.4.2. */
export const PKI_FAILURE = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;

/** The bytes are not the RFC 3161 / CMS structure expected. */
export class TimestampFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimestampFormatError';
  }
}

// ---- building -------------------------------------------------------------------------------------

export function derBoolean(value: boolean): Asn1 {
  // X.690 §11.1: DER encodes TRUE as 0xFF.
  return forge.asn1.create(Class.UNIVERSAL, Type.BOOLEAN, false, value ? '\xff' : '\x00');
}

/**
 * A DER GeneralizedTime in UTC (RFC 3161 §2.4.2, X.690 §11.7): YYYYMMDDhhmmss, then the milliseconds
 * without trailing zeros (and no dot when they are zero), then Z.
 */
export function generalizedTime(date: Date): Asn1 {
  const iso = date.toISOString(); // 2026-11-26T02:00:00.120Z
  if (!/^\d{4}-/.test(iso)) throw new RangeError(`Year out of GeneralizedTime range: ${iso}`);
  const whole = iso.slice(0, 19).replace(/[-T:]/g, '');
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return forge.asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, `${whole}${fraction ? `.${fraction}` : ''}Z`);
}

/**
 * A DER named BIT STRING with the given bits set (bit 0 is the first, most significant bit): trailing
 * zero bits are dropped (X.690 §11.2.2), the first content octet counts the unused bits.
 */
export function namedBitString(bits: number[]): Asn1 {
  const highest = Math.max(-1, ...bits);
  const octets = Buffer.alloc(highest < 0 ? 0 : Math.floor(highest / 8) + 1);
  for (const bit of bits) octets[bit >> 3] |= 0x80 >> (bit & 7);
  const unused = highest < 0 ? 0 : 7 - (highest & 7);
  return forge.asn1.create(
    Class.UNIVERSAL,
    Type.BITSTRING,
    false,
    Buffer.concat([Buffer.of(unused), octets]).toString('latin1'),
  );
}

export function utf8String(text: string): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.UTF8, false, Buffer.from(text, 'utf8').toString('latin1'));
}

/** `[tag] IMPLICIT` around a primitive value (Accuracy's millis and micros): the content octets of `node`. */
export function implicitPrimitive(tag: number, node: Asn1): Asn1 {
  if (typeof node.value !== 'string') throw new Error('Only a primitive element can be tagged this way');
  return forge.asn1.create(Class.CONTEXT_SPECIFIC, tag, false, node.value);
}

// ---- reading --------------------------------------------------------------------------------------

/** The children of a constructed UNIVERSAL element of `type`. */
export function universal(node: Asn1 | undefined, type: number, what: string): Asn1[] {
  if (!node || node.tagClass !== Class.UNIVERSAL || node.type !== type || !Array.isArray(node.value)) {
    throw new TimestampFormatError(`${what}: expected a constructed element of type ${type}`);
  }
  return node.value;
}

/** The content octets of a primitive UNIVERSAL element of `type`. */
export function primitive(node: Asn1 | undefined, type: number, what: string): Buffer {
  if (!node || node.tagClass !== Class.UNIVERSAL || node.type !== type || typeof node.value !== 'string') {
    throw new TimestampFormatError(`${what}: expected a primitive element of type ${type}`);
  }
  return Buffer.from(node.value, 'latin1');
}

export function isUniversal(node: Asn1 | undefined, type: number): node is Asn1 {
  return node !== undefined && node.tagClass === Class.UNIVERSAL && node.type === type;
}

export function readOid(node: Asn1 | undefined, what: string): string {
  return forge.asn1.derToOid(primitive(node, Type.OID, what).toString('latin1'));
}

export function readOctets(node: Asn1 | undefined, what: string): Buffer {
  return primitive(node, Type.OCTETSTRING, what);
}

/** An INTEGER that must be small and non-negative (a version, a status, an accuracy). */
export function readSmallInteger(node: Asn1 | undefined, what: string): number {
  const content = primitive(node, Type.INTEGER, what);
  if (content.length === 0 || content.length > 4 || content[0] & 0x80) {
    throw new TimestampFormatError(`${what}: expected a small non-negative INTEGER`);
  }
  return content.readUIntBE(0, content.length);
}

/**
 * The value of a non-negative INTEGER as minimal unsigned big-endian octets (a serial number, a
 * nonce): the sign octet DER puts before a high bit is dropped.
 */
export function readUnsignedInteger(node: Asn1 | undefined, what: string): Buffer {
  const content = primitive(node, Type.INTEGER, what);
  if (content.length === 0 || content[0] & 0x80) {
    throw new TimestampFormatError(`${what}: expected a non-negative INTEGER`);
  }
  return minimalUnsigned(content);
}

/** Leading zero octets dropped, one kept for the value zero. */
export function minimalUnsigned(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

export function readBoolean(node: Asn1 | undefined, what: string): boolean {
  const content = primitive(node, Type.BOOLEAN, what);
  if (content.length !== 1 || (content[0] !== 0 && content[0] !== 0xff)) {
    throw new TimestampFormatError(`${what}: expected a DER BOOLEAN`);
  }
  return content[0] === 0xff;
}

/**
 * A GeneralizedTime as RFC 3161 §2.4.2 allows it in TSTInfo: UTC ("Z"), seconds always present, an
 * optional fraction without trailing zeros. Fractions below a millisecond are dropped.
 */
export function readGeneralizedTime(node: Asn1 | undefined, what: string): Date {
  const text = primitive(node, Type.GENERALIZEDTIME, what).toString('latin1');
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/.exec(text);
  if (!match) throw new TimestampFormatError(`${what}: "${text}" is not a UTC GeneralizedTime`);
  const [, year, month, day, hour, minute, second, fraction = ''] = match;
  const fields = [year, month, day, hour, minute, second].map(Number);
  const date = new Date(
    Date.UTC(
      fields[0],
      fields[1] - 1,
      fields[2],
      fields[3],
      fields[4],
      fields[5],
      Number(fraction.padEnd(3, '0').slice(0, 3)),
    ),
  );
  // Date.UTC rolls 31 February over into March: a calendar date that does not exist is refused.
  if (
    date.getUTCFullYear() !== fields[0] ||
    date.getUTCMonth() !== fields[1] - 1 ||
    date.getUTCDate() !== fields[2] ||
    date.getUTCHours() !== fields[3] ||
    date.getUTCMinutes() !== fields[4] ||
    date.getUTCSeconds() !== fields[5]
  ) {
    throw new TimestampFormatError(`${what}: "${text}" is not a valid date and time`);
  }
  return date;
}

/** The numbers of the bits set in a BIT STRING (bit 0 first), as `parseDer` leaves it (undecoded). */
export function readNamedBits(node: Asn1 | undefined, what: string): number[] {
  const content = primitive(node, Type.BITSTRING, what);
  if (content.length === 0 || content[0] > 7 || (content.length === 1 && content[0] !== 0)) {
    throw new TimestampFormatError(`${what}: malformed BIT STRING`);
  }
  const bits: number[] = [];
  const octets = content.subarray(1);
  const length = octets.length * 8 - content[0];
  for (let bit = 0; bit < length; bit++) {
    if (octets[bit >> 3] & (0x80 >> (bit & 7))) bits.push(bit);
  }
  return bits;
}

/** UTF8String text (PKIFreeText). */
export function readUtf8(node: Asn1 | undefined, what: string): string {
  return primitive(node, Type.UTF8, what).toString('utf8');
}

/** The children of a constructed `[tag]`. */
export function contextChildren(node: Asn1 | undefined, tag: number, what: string): Asn1[] {
  if (!node || !isContextTag(node, tag) || !Array.isArray(node.value)) {
    throw new TimestampFormatError(`${what}: expected a constructed [${tag}]`);
  }
  return children(node);
}

export function only(nodes: Asn1[], what: string): Asn1 {
  if (nodes.length !== 1) throw new TimestampFormatError(`${what}: expected one element, found ${nodes.length}`);
  return nodes[0];
}

/**
 * AlgorithmIdentifier of a hash: its OID, with parameters absent or NULL (RFC 5754 §2 and the older
 * habit of a NULL that OpenSSL still writes); anything else is refused.
 */
export function readHashAlgorithm(node: Asn1 | undefined, what: string): string {
  const [algorithm, parameters, ...rest] = universal(node, Type.SEQUENCE, what);
  if (rest.length > 0 || (parameters !== undefined && !isUniversal(parameters, Type.NULL))) {
    throw new TimestampFormatError(`${what}: hash algorithm parameters must be absent or NULL`);
  }
  return readOid(algorithm, what);
}

export { Class as Asn1Class, Type as Asn1Type };
