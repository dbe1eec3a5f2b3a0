import forge from 'node-forge';
import { children, encodeDer, isContextTag, parseDer, set, type Asn1 } from '../der';

/** The parts of a CAdES SignedData the tests look at, read with forge.asn1 (not with the code under test's builders). */
export interface CadesStructure {
  contentType: string;
  signedDataVersion: number;
  digestAlgorithms: string[];
  encapsulatedContentType: string;
  hasEncapsulatedContent: boolean;
  certificates: Buffer[];
  signerInfoVersion: number;
  sid: { issuer: Buffer; serialNumber: Buffer };
  digestAlgorithm: string;
  /** In the order stored (DER order). */
  signedAttributeTypes: string[];
  signedAttribute(type: string): Asn1;
  /** The signed attributes re-tagged as a SET OF: the bytes the signature covers. */
  signedAttributesAsSet: Buffer;
  signatureAlgorithm: { oid: string; parameters: 'absent' | 'null' | 'other' };
  signature: Buffer;
  hasUnsignedAttributes: boolean;
}

export const oidOf = (node: Asn1): string => forge.asn1.derToOid(node.value as string);
export const bytesOf = (node: Asn1): Buffer => Buffer.from(node.value as string, 'latin1');
const integerOf = (node: Asn1): number => forge.asn1.derToInteger(node.value as string);

export function readCades(der: Buffer): CadesStructure {
  const [contentType, wrapped] = children(parseDer(der));
  const signedData = children(children(wrapped)[0]);
  const [version, digestAlgorithms, encap] = signedData;
  const certificatesField = signedData.find((node) => isContextTag(node, 0));
  const signerInfos = children(signedData[signedData.length - 1]);
  if (signerInfos.length !== 1) throw new Error(`Expected one SignerInfo, got ${signerInfos.length}`);
  const signerInfo = children(signerInfos[0]);
  const [siVersion, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature, unsigned] = signerInfo;
  if (!isContextTag(signedAttrs, 0)) throw new Error('SignerInfo has no signed attributes');
  const attributes = children(signedAttrs);
  const algorithmParts = children(signatureAlgorithm);
  const parameters = algorithmParts[1];
  return {
    contentType: oidOf(contentType),
    signedDataVersion: integerOf(version),
    digestAlgorithms: children(digestAlgorithms).map((algorithm) => oidOf(children(algorithm)[0])),
    encapsulatedContentType: oidOf(children(encap)[0]),
    hasEncapsulatedContent: children(encap).length > 1,
    certificates: certificatesField ? children(certificatesField).map((node) => encodeDer(node)) : [],
    signerInfoVersion: integerOf(siVersion),
    sid: { issuer: encodeDer(children(sid)[0]), serialNumber: encodeDer(children(sid)[1]) },
    digestAlgorithm: oidOf(children(digestAlgorithm)[0]),
    signedAttributeTypes: attributes.map((attribute) => oidOf(children(attribute)[0])),
    signedAttribute: (type) => {
      const found = attributes.find((attribute) => oidOf(children(attribute)[0]) === type);
      if (!found) throw new Error(`No signed attribute ${type}`);
      const values = children(children(found)[1]);
      if (values.length !== 1) throw new Error(`Attribute ${type} has ${values.length} values`);
      return values[0];
    },
    signedAttributesAsSet: encodeDer(set(attributes)),
    signatureAlgorithm: {
      oid: oidOf(algorithmParts[0]),
      parameters: !parameters
        ? 'absent'
        : parameters.type === forge.asn1.Type.NULL && parameters.tagClass === forge.asn1.Class.UNIVERSAL
          ? 'null'
          : 'other',
    },
    signature: bytesOf(signature),
    hasUnsignedAttributes: unsigned !== undefined,
  };
}

/** A CMS written into a zero-padded /Contents: the DER element at the start, without the padding. */
export function leadingDerElement(bytes: Buffer): Buffer {
  const buffer = forge.util.createBuffer(bytes.toString('latin1'));
  const before = buffer.length();
  (forge.asn1.fromDer as unknown as (b: forge.util.ByteStringBuffer, o: object) => Asn1)(buffer, {
    parseAllBytes: false,
    decodeBitStrings: false,
  });
  return bytes.subarray(0, before - buffer.length());
}
