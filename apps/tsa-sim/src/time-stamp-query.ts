import { encodeDer, isContextTag, parseDer, type Asn1 } from '../../../libs/signing/src/cms/der';
import {
  Asn1Type,
  HASH_ALGORITHMS,
  isUniversal,
  PKI_FAILURE,
  readBoolean,
  readHashAlgorithm,
  readOctets,
  readOid,
  readSmallInteger,
  TimestampFormatError,
  universal,
} from '../../../libs/signing/src/timestamp/asn1';

/** A TimeStampReq the TSA will answer with a token. */
export interface TimeStampQuery {
  /** MessageImprint as sent: TSTInfo carries it unchanged (RFC 3161 §2.4.2). */
  messageImprint: Asn1;
  /** The nonce INTEGER as sent, echoed in TSTInfo. */
  nonce?: Asn1;
  certReq: boolean;
}

export type QueryVerdict =
  | { kind: 'query'; query: TimeStampQuery }
  /** Valid DER, but not a TimeStampReq this TSA accepts: answered with a rejection TimeStampResp. */
  | { kind: 'rejection'; failInfo: number; text: string }
  /** Not DER at all: answered HTTP 400. */
  | { kind: 'not_der' };

/** Hash algorithms the TSA time-stamps imprints of. SHA-1 is refused (badAlg). */
const ACCEPTED_HASHES = new Set(['sha256', 'sha384', 'sha512']);
/** RFC 3161 sets no bound; a nonce longer than this is no nonce. */
const MAX_NONCE_OCTETS = 64;

/**
 *   TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
 *     reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE,
 *     extensions [0] IMPLICIT Extensions OPTIONAL }
 *
 * failInfo: badDataFormat when the bytes are DER but not a TimeStampReq (BER included), badRequest for
 * another version or an oversized nonce, badAlg for a hash other than SHA-2 or with parameters other than
 * absent or NULL, badDataFormat for a digest of the wrong length, unacceptedPolicy for a reqPolicy other
 * than `policy`, unacceptedExtension for any extension (none is supported).
 */
export function readTimeStampQuery(body: Buffer, policy: string): QueryVerdict {
  let node: Asn1;
  try {
    node = parseDer(body);
  } catch {
    return { kind: 'not_der' };
  }
  try {
    return readQuery(node, body, policy);
  } catch (error) {
    // TimestampFormatError from the readers, or der.ts's "not constructed": either way, no TimeStampReq.
    const message = error instanceof TimestampFormatError || error instanceof Error ? error.message : String(error);
    return rejection('badDataFormat', `not a TimeStampReq: ${message}`);
  }
}

function readQuery(node: Asn1, body: Buffer, policy: string): QueryVerdict {
  if (!encodeDer(node).equals(body)) return rejection('badDataFormat', 'the request is BER, not DER');
  const [version, messageImprint, ...optional] = universal(node, Asn1Type.SEQUENCE, 'TimeStampReq');
  if (readSmallInteger(version, 'TimeStampReq.version') !== 1) return rejection('badRequest', 'version must be 1');

  const [hashAlgorithm, hashedMessage, ...imprintExtra] = universal(
    messageImprint,
    Asn1Type.SEQUENCE,
    'MessageImprint',
  );
  if (imprintExtra.length > 0) return rejection('badDataFormat', 'MessageImprint has extra elements');
  let algorithmOid: string;
  try {
    algorithmOid = readHashAlgorithm(hashAlgorithm, 'MessageImprint.hashAlgorithm');
  } catch {
    return rejection('badAlg', 'the hash algorithm identifier has parameters other than NULL');
  }
  const hash = HASH_ALGORITHMS[algorithmOid];
  if (!hash || !ACCEPTED_HASHES.has(hash.name)) {
    return rejection('badAlg', `hash algorithm ${algorithmOid} is not accepted (SHA-256, SHA-384, SHA-512)`);
  }
  const digest = readOctets(hashedMessage, 'MessageImprint.hashedMessage');
  if (digest.length !== hash.length) {
    return rejection('badDataFormat', `a ${hash.name} digest is ${hash.length} bytes, got ${digest.length}`);
  }

  const query: TimeStampQuery = { messageImprint, certReq: false };
  if (isUniversal(optional[0], Asn1Type.OID)) {
    const requested = readOid(optional.shift(), 'reqPolicy');
    if (requested !== policy) return rejection('unacceptedPolicy', `policy ${requested} is not offered`);
  }
  if (isUniversal(optional[0], Asn1Type.INTEGER)) {
    query.nonce = optional.shift();
    const length = typeof query.nonce?.value === 'string' ? query.nonce.value.length : 0;
    if (length === 0 || length > MAX_NONCE_OCTETS) return rejection('badRequest', 'the nonce is too long');
  }
  if (isUniversal(optional[0], Asn1Type.BOOLEAN)) query.certReq = readBoolean(optional.shift(), 'certReq');
  if (optional[0] && isContextTag(optional[0], 0)) {
    return rejection('unacceptedExtension', 'no request extension is supported');
  }
  if (optional.length > 0) return rejection('badDataFormat', 'unexpected elements in the TimeStampReq');
  return { kind: 'query', query };
}

function rejection(failure: keyof typeof PKI_FAILURE, text: string): QueryVerdict {
  return { kind: 'rejection', failInfo: PKI_FAILURE[failure], text };
}
