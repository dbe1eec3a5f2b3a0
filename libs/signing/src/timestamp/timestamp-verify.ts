import { createHash, type X509Certificate } from 'node:crypto';
import { parseDer } from '../cms/der';
import { verifyCertificatePath } from '../pdf-check/certificate-path';
import { CertificateReader, identifies, verifySignature } from '../pdf-check/signed-data';
import { HASH_ALGORITHMS, TimestampFormatError, TSP_OID } from './asn1';
import { decodeTimeStampToken, type DecodedTimeStampToken, type TimeStampTokenInfo } from './timestamp-response';
import { tsaCertificateProblem } from './tsa-certificate';

export type TimestampVerificationProblem =
  /** Not a TimeStampToken (a SignedData over a TSTInfo) that can be read. */
  | 'malformed'
  /** A hash or signature algorithm this verifier does not take (SHA-1, RSASSA-PSS, …). */
  | 'unsupported_algorithm'
  /** The contentType signed attribute is not id-ct-TSTInfo. */
  | 'content_type_mismatch'
  /** The TSTInfo is not the one signed: it was changed after signing (genTime, serial, imprint…). */
  | 'message_digest_mismatch'
  /** The SignerInfo names a certificate the token does not carry and the caller did not give. */
  | 'signer_certificate_missing'
  /** The ESS signing-certificate(-v2) attribute is missing or names another certificate. */
  | 'signing_certificate_mismatch'
  | 'signature_invalid'
  /** The signer certificate is not for time-stamping (RFC 3161 §2.3). */
  | 'not_a_tsa_certificate'
  /** No path from the TSA certificate to the trust root, with every certificate valid at genTime. */
  | 'untrusted'
  /** The token time-stamps other data. */
  | 'imprint_mismatch';

export class TimestampVerificationError extends Error {
  constructor(
    readonly problem: TimestampVerificationProblem,
    message: string,
  ) {
    super(message);
    this.name = 'TimestampVerificationError';
  }
}

export interface VerifyTimeStampTokenOptions {
  /** CA certificates to build the path with, besides those the token carries. */
  intermediates?: X509Certificate[];
  /** The TSA certificate, for a token requested without certReq. */
  tsaCertificate?: X509Certificate;
}

/**
 * Verifies a TimeStampToken for `data` against `trustRoot` and returns what it says; throws a
 * `TimestampVerificationError` naming the first check that failed:
 *
 * 1. the signed contentType is id-ct-TSTInfo and the messageDigest is the hash of the encapsulated TSTInfo;
 * 2. the signer certificate (named by the SignerInfo) is the one signing-certificate-v2 (or v1) hashes;
 * 3. the signature over the signed attributes verifies under that certificate's key;
 * 4. the certificate is a TSA certificate (critical extendedKeyUsage timeStamping only) and chains to
 *    `trustRoot`, every certificate on the path valid at genTime (node:crypto X509Certificate);
 * 5. the message imprint is the hash of `data`.
 *
 * Revocation is not checked.
 */
export function verifyTimeStampToken(
  token: Buffer,
  data: Buffer,
  trustRoot: X509Certificate,
  options: VerifyTimeStampTokenOptions = {},
): TimeStampTokenInfo {
  let decoded: DecodedTimeStampToken;
  try {
    decoded = decodeTimeStampToken(token);
  } catch (error) {
    if (error instanceof TimestampFormatError) throw new TimestampVerificationError('malformed', error.message);
    throw error;
  }
  const { info, signer } = decoded;
  const attributes = signer.signedAttributes;

  if (attributes.contentType !== TSP_OID.tstInfo) {
    fail(
      'content_type_mismatch',
      `The signed content type is ${attributes.contentType ?? 'missing'}, not id-ct-TSTInfo`,
    );
  }
  const digest = signer.digest;
  if (digest === undefined || digest === 'sha1')
    fail('unsupported_algorithm', 'The SignerInfo digest algorithm is not SHA-2');
  const tstInfoDigest = createHash(digest).update(decoded.tstInfo).digest();
  if (!attributes.messageDigest?.equals(tstInfoDigest)) {
    fail('message_digest_mismatch', 'The messageDigest attribute is not the digest of the TSTInfo');
  }

  const certificate = signerCertificate(decoded, options.tsaCertificate);
  const essCertId = attributes.signerCertId;
  if (!essCertId) fail('signing_certificate_mismatch', 'The token has no signing-certificate(-v2) attribute');
  if (!createHash(essCertId.hash).update(certificate.raw).digest().equals(essCertId.certHash)) {
    fail('signing_certificate_mismatch', 'signing-certificate-v2 names another certificate than the signer');
  }

  const outcome = verifySignature(
    signer.signatureAlgorithm,
    digest,
    certificate.publicKey,
    [attributes.der],
    signer.signature,
  );
  if (outcome === 'unsupported') fail('unsupported_algorithm', `Signature algorithm ${signer.signatureAlgorithm}`);
  if (outcome !== 'valid') fail('signature_invalid', 'The signature over the signed attributes does not verify');

  const problem = tsaCertificateProblem(certificate);
  if (problem) fail('not_a_tsa_certificate', `The signer certificate is not a TSA certificate: ${problem}`);
  const path = verifyCertificatePath(
    certificate,
    [...decoded.certificates, ...(options.intermediates ?? [])],
    trustRoot,
    info.genTime,
  );
  if (path !== 'trusted') {
    fail(
      'untrusted',
      path === 'not_valid_at_time'
        ? 'A certificate on the path to the trust root was not valid at genTime'
        : 'The TSA certificate does not chain to the trust root',
    );
  }

  const imprintHash = HASH_ALGORITHMS[info.messageImprint.algorithm];
  if (!imprintHash || imprintHash.name === 'sha1') {
    fail('unsupported_algorithm', `Message imprint algorithm ${info.messageImprint.algorithm}`);
  }
  if (!createHash(imprintHash.name).update(data).digest().equals(info.messageImprint.digest)) {
    fail('imprint_mismatch', 'The token time-stamps other data');
  }
  return { ...info, tsaCertificate: certificate };
}

function signerCertificate(decoded: DecodedTimeStampToken, given: X509Certificate | undefined): X509Certificate {
  if (decoded.info.tsaCertificate) return decoded.info.tsaCertificate;
  if (given) {
    const facts = new CertificateReader([given]).facts(parseDer(given.raw));
    if (facts && identifies(decoded.signer.sid, facts)) return given;
  }
  return fail('signer_certificate_missing', 'The token does not carry the certificate its SignerInfo names');
}

function fail(problem: TimestampVerificationProblem, message: string): never {
  throw new TimestampVerificationError(problem, message);
}
