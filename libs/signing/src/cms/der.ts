import forge from 'node-forge';

/**
 * Thin helpers over `forge.asn1`: all DER in this library is built and parsed by forge, never by
 * hand. forge works on "binary strings" (one char per byte), so Buffers cross over as latin1.
 */
export type Asn1 = forge.asn1.Asn1;

const { Class, Type } = forge.asn1;

/**
 * forge's typings only declare the `strict` flag, but `fromDer` takes an options object. BIT STRINGs
 * are left undecoded: a certificate must re-encode to exactly the bytes it was issued with, and a
 * BIT STRING that happens to parse as ASN.1 (a public key, a signature) is not ours to restructure.
 */
const fromDerWithOptions = forge.asn1.fromDer as unknown as (
  bytes: string,
  options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
) => Asn1;

export function parseDer(der: Buffer): Asn1 {
  return fromDerWithOptions(der.toString('latin1'), { strict: true, parseAllBytes: true, decodeBitStrings: false });
}

export function encodeDer(node: Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(node).getBytes(), 'latin1');
}

export function sequence(children: Asn1[]): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, children);
}

export function set(children: Asn1[]): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.SET, true, children);
}

/**
 * A DER `SET OF`: X.690 §11.6 orders the elements by their encodings. forge writes children in the
 * order given, so sort them here; CMS signed attributes are hashed in this form (RFC 5652 §5.4).
 */
export function derSetOf(children: Asn1[]): Asn1 {
  const encoded = children.map((node) => ({ node, der: encodeDer(node) }));
  encoded.sort((a, b) => Buffer.compare(a.der, b.der));
  return set(encoded.map((entry) => entry.node));
}

export function oid(dotted: string): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.OID, false, forge.asn1.oidToDer(dotted).getBytes());
}

export function integer(value: number): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, forge.asn1.integerToDer(value).getBytes());
}

/**
 * A DER INTEGER of an unsigned big-endian value (a serial number, an ECDSA r or s): leading zero
 * octets dropped, and one zero octet put back where the top bit is set, so it reads as positive.
 */
export function unsignedInteger(bytes: Buffer): Asn1 {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const minimal = bytes.subarray(start);
  const content = minimal[0] & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal;
  return forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, content.toString('latin1'));
}

export function octetString(bytes: Buffer): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, bytes.toString('latin1'));
}

export function derNull(): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.NULL, false, '');
}

/** `[n]` around `children`: EXPLICIT when wrapping a whole element, IMPLICIT when replacing a SET/SEQUENCE tag. */
export function contextTag(tag: number, children: Asn1[]): Asn1 {
  return forge.asn1.create(Class.CONTEXT_SPECIFIC, tag, true, children);
}

export function isContextTag(node: Asn1, tag: number): boolean {
  return node.tagClass === Class.CONTEXT_SPECIFIC && node.type === tag;
}

export function children(node: Asn1): Asn1[] {
  if (!Array.isArray(node.value)) {
    throw new Error(`ASN.1 element (class ${node.tagClass}, tag ${node.type}) is not constructed`);
  }
  return node.value;
}
