import type { X509Certificate } from 'node:crypto';
import { isContextTag, parseDer } from '../cms/der';
import {
  Asn1Type,
  contextChildren,
  isUniversal,
  only,
  readBoolean,
  readNamedBits,
  readOctets,
  readOid,
  TSP_OID,
  universal,
} from './asn1';

const KEY_USAGE_OID = '2.5.29.15';
/** digitalSignature (0) and nonRepudiation (1): the only key usages OpenSSL allows a TSA certificate. */
const TSA_KEY_USAGE_BITS = new Set([0, 1]);

/**
 * Why `certificate` may not sign time-stamp tokens, or null when it may. RFC 3161 §2.3: exactly one
 * extended key usage, id-kp-timeStamping, in a critical extension; and as OpenSSL's timestamp purpose
 * check has it, a key usage (if present) of digitalSignature and/or nonRepudiation only.
 */
export function tsaCertificateProblem(certificate: X509Certificate): string | null {
  try {
    return usageProblem(extensionsOf(certificate.raw));
  } catch (error) {
    return `its extensions cannot be read (${error instanceof Error ? error.message : String(error)})`;
  }
}

function usageProblem(extensions: Map<string, { critical: boolean; value: Buffer }>): string | null {
  const eku = extensions.get(TSP_OID.extendedKeyUsage);
  if (!eku) return 'it has no extendedKeyUsage extension';
  if (!eku.critical) return 'its extendedKeyUsage extension is not critical';
  const purposes = universal(parseDer(eku.value), Asn1Type.SEQUENCE, 'ExtKeyUsageSyntax').map((node) =>
    readOid(node, 'KeyPurposeId'),
  );
  if (purposes.length !== 1 || purposes[0] !== TSP_OID.timeStamping) {
    return `its extendedKeyUsage is ${purposes.join(', ') || 'empty'}, not timeStamping (${TSP_OID.timeStamping}) alone`;
  }
  const keyUsage = extensions.get(KEY_USAGE_OID);
  if (keyUsage) {
    const bits = readNamedBits(parseDer(keyUsage.value), 'KeyUsage');
    if (bits.length === 0 || bits.some((bit) => !TSA_KEY_USAGE_BITS.has(bit))) {
      return 'its keyUsage allows more than digitalSignature and nonRepudiation';
    }
  }
  return null;
}

/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function extensionsOf(certificateDer: Buffer): Map<string, { critical: boolean; value: Buffer }> {
  const tbs = universal(
    universal(parseDer(certificateDer), Asn1Type.SEQUENCE, 'Certificate')[0],
    Asn1Type.SEQUENCE,
    'TBSCertificate',
  );
  const field = tbs.find((node) => isContextTag(node, 3));
  const result = new Map<string, { critical: boolean; value: Buffer }>();
  if (!field) return result;
  for (const extension of universal(
    only(contextChildren(field, 3, 'extensions'), 'extensions'),
    Asn1Type.SEQUENCE,
    'Extensions',
  )) {
    const parts = universal(extension, Asn1Type.SEQUENCE, 'Extension');
    const id = readOid(parts[0], 'extnID');
    const critical = isUniversal(parts[1], Asn1Type.BOOLEAN) ? readBoolean(parts[1], 'critical') : false;
    result.set(id, { critical, value: readOctets(parts[parts.length - 1], 'extnValue') });
  }
  return result;
}
