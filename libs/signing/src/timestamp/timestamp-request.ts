import { encodeDer, integer, octetString, oid, sequence, unsignedInteger } from '../cms/der';
import { derBoolean, TSP_OID } from './asn1';

export interface TimeStampReqInput {
  /** SHA-256 of the data to be time-stamped. */
  digest: Buffer;
  /** Unsigned big-endian; random, so that the reply cannot be one made for another request. */
  nonce: Buffer;
  /** Ask the TSA to put its certificate in the token (RFC 3161 §2.4.1). */
  certReq: boolean;
}

/**
 * A DER TimeStampReq (RFC 3161 §2.4.1):
 *
 *   TimeStampReq ::= SEQUENCE {
 *     version INTEGER { v1(1) }, messageImprint MessageImprint, reqPolicy TSAPolicyId OPTIONAL,
 *     nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE, extensions [0] IMPLICIT Extensions OPTIONAL }
 *   MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
 *
 * No reqPolicy: the TSA's default policy is the one we accept. certReq is left out when false, as DER
 * requires of a DEFAULT value (X.690 §11.5). The SHA-256 AlgorithmIdentifier has no parameters (RFC 5754 §2).
 */
export function buildTimeStampReq(input: TimeStampReqInput): Buffer {
  if (input.digest.length !== 32) {
    throw new Error(`A SHA-256 digest is 32 bytes, got ${input.digest.length}`);
  }
  if (input.nonce.length === 0 || input.nonce.length > 32) {
    throw new Error(`A nonce is 1 to 32 bytes, got ${input.nonce.length}`);
  }
  return encodeDer(
    sequence([
      integer(1),
      messageImprint(input.digest),
      unsignedInteger(input.nonce),
      ...(input.certReq ? [derBoolean(true)] : []),
    ]),
  );
}

function messageImprint(digest: Buffer) {
  return sequence([sequence([oid(TSP_OID.sha256)]), octetString(digest)]);
}
