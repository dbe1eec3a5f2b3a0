import forge from 'node-forge';
import type { DataSigner } from '../keys/key-store';
import { contextTag, encodeDer, integer, sequence, unsignedInteger, type Asn1 } from '../cms/der';
import { binary, extension, keyIdentifier, signatureAlgorithmOf, subjectNameOf, time } from './x509';

const { asn1 } = forge;
const { Class, Type } = asn1;

const OID = {
  authorityKeyIdentifier: '2.5.29.35',
  cRLNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
} as const;

export interface CrlEntry {
  serialHex: string;
  revokedAt: Date;
  /** RFC 5280 §5.3.1 CRLReason; 0 (unspecified) is written as no reasonCode, as §5.3.1 asks. */
  reasonCode: number;
}

export interface CrlRequest {
  /** The CA's own certificate: its subject is the CRL's issuer, byte for byte. */
  issuerCertificateDer: Buffer;
  issuerPublicKeySpki: Buffer;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: CrlEntry[];
}

/**
 * Builds and signs an X.509 v2 CRL (RFC 5280 §5): authorityKeyIdentifier and cRLNumber, each entry
 * with its reason; signed by the CA's key through the key store, like the certificates it issues.
 */
export async function issueCrl(request: CrlRequest, issuerSigner: DataSigner): Promise<Buffer> {
  const entries = [...request.entries].sort((a, b) => a.revokedAt.getTime() - b.revokedAt.getTime());
  const tbs = sequence([
    integer(1),
    signatureAlgorithmOf(issuerSigner.algorithm),
    subjectNameOf(request.issuerCertificateDer),
    time(request.thisUpdate),
    time(request.nextUpdate),
    ...(entries.length > 0 ? [sequence(entries.map(entry))] : []),
    contextTag(0, [
      sequence([
        extension(
          OID.authorityKeyIdentifier,
          false,
          sequence([asn1.create(Class.CONTEXT_SPECIFIC, 0, false, binary(keyIdentifier(request.issuerPublicKeySpki)))]),
        ),
        extension(OID.cRLNumber, false, unsignedInteger(bigintBytes(request.crlNumber))),
      ]),
    ]),
  ]);
  const signature = await issuerSigner.sign(encodeDer(tbs));
  return encodeDer(
    sequence([
      tbs,
      signatureAlgorithmOf(issuerSigner.algorithm),
      asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, '\x00' + binary(signature)),
    ]),
  );
}

function entry(revoked: CrlEntry): Asn1 {
  const reason =
    revoked.reasonCode === 0
      ? []
      : [
          sequence([
            extension(
              OID.reasonCode,
              false,
              asn1.create(Class.UNIVERSAL, Type.ENUMERATED, false, String.fromCharCode(revoked.reasonCode)),
            ),
          ]),
        ];
  return sequence([unsignedInteger(Buffer.from(revoked.serialHex, 'hex')), time(revoked.revokedAt), ...reason]);
}

function bigintBytes(value: bigint): Buffer {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}
