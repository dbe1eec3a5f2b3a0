import { createHash } from 'node:crypto';
import {
  children,
  contextTag,
  derSetOf,
  encodeDer,
  integer,
  octetString,
  oid,
  parseDer,
  sequence,
  set,
  unsignedInteger,
  type Asn1,
} from '../../cms/der';
import { generalizedTime, namedBitString, TSP_OID, utf8String } from '../asn1';

/**
 * TimeStampResps and tokens for unit tests of the reader and the client: well-formed, but signed by
 * no one (the signature is zeros, no certificate) — what the client checks before any signature.
 */
export interface SyntheticTstInfo {
  digest?: Buffer;
  imprintAlgorithm?: string;
  /** Unsigned big-endian; none when undefined. */
  nonce?: Buffer;
  genTime?: Date;
  serial?: Buffer;
  policy?: string;
  /** Fields after genTime and before the nonce (accuracy, ordering), as they are to be encoded. */
  beforeNonce?: Asn1[];
  /** Fields after the nonce (tsa, extensions). */
  afterNonce?: Asn1[];
}

export function syntheticTstInfo(fields: SyntheticTstInfo = {}): Buffer {
  return encodeDer(
    sequence([
      integer(1),
      oid(fields.policy ?? '1.3.6.1.4.1.32473.1.1'),
      sequence([
        sequence([oid(fields.imprintAlgorithm ?? TSP_OID.sha256)]),
        octetString(fields.digest ?? Buffer.alloc(32, 0xab)),
      ]),
      unsignedInteger(fields.serial ?? Buffer.from('0123456789abcdef', 'hex')),
      generalizedTime(fields.genTime ?? new Date('2026-11-26T02:00:00.120Z')),
      ...(fields.beforeNonce ?? []),
      ...(fields.nonce ? [unsignedInteger(fields.nonce)] : []),
      ...(fields.afterNonce ?? []),
    ]),
  );
}

/** A ContentInfo SignedData around `tstInfo`, with `signers` SignerInfos (1 unless told). */
export function syntheticToken(
  tstInfo: Buffer = syntheticTstInfo(),
  options: { eContentType?: string; signers?: number } = {},
): Buffer {
  const signerInfo = sequence([
    integer(1),
    sequence([sequence([]), integer(1)]),
    sequence([oid(TSP_OID.sha256)]),
    contextTag(
      0,
      children(
        derSetOf([
          sequence([oid(TSP_OID.contentType), set([oid(options.eContentType ?? TSP_OID.tstInfo)])]),
          sequence([oid(TSP_OID.messageDigest), set([octetString(createHash('sha256').update(tstInfo).digest())])]),
        ]),
      ),
    ),
    sequence([oid(TSP_OID.ecdsaWithSha256)]),
    octetString(Buffer.alloc(64)),
  ]);
  return encodeDer(
    sequence([
      oid(TSP_OID.signedData),
      contextTag(0, [
        sequence([
          integer(3),
          set([sequence([oid(TSP_OID.sha256)])]),
          sequence([oid(options.eContentType ?? TSP_OID.tstInfo), contextTag(0, [octetString(tstInfo)])]),
          set(Array.from({ length: options.signers ?? 1 }, () => signerInfo)),
        ]),
      ]),
    ]),
  );
}

/** TimeStampResp ::= SEQUENCE { PKIStatusInfo, TimeStampToken OPTIONAL } */
export function syntheticResponse(
  status: number,
  options: { token?: Buffer; texts?: string[]; failBits?: number[] } = {},
): Buffer {
  return encodeDer(
    sequence([
      sequence([
        integer(status),
        ...(options.texts ? [sequence(options.texts.map(utf8String))] : []),
        ...(options.failBits ? [namedBitString(options.failBits)] : []),
      ]),
      ...(options.token ? [parseDer(options.token)] : []),
    ]),
  );
}
