import type { X509Certificate } from 'node:crypto';

/**
 * `trusted`: a path from the signer to the root exists and every certificate on it was valid at the
 * given time. `not_valid_at_time`: a path exists, but none whose certificates were all valid then.
 */
export type PathVerdict = 'trusted' | 'untrusted' | 'not_valid_at_time';

/** Far more than root → issuing CA → signer; bounds the search when a file brings its own certificates. */
const MAX_PATH_LENGTH = 6;

/**
 * Looks for a certification path from `signer` up to `root` through `candidates` (the certificates
 * the CMS carries and the district's intermediates). The root is recognised by its SHA-256
 * fingerprint only: a self-signed certificate with the same name from elsewhere is just another
 * candidate, and a dead end.
 *
 * Each link is checked as X.509 path validation would (RFC 5280 §6.1): the issuer's name and key
 * identifier match and its key usage allows certificate signing (OpenSSL's X509_check_issued), the
 * signature verifies under the issuer's key, and an issuer other than the anchor is a CA
 * (basicConstraints). Revocation is not this function's business.
 */
export function verifyCertificatePath(
  signer: X509Certificate,
  candidates: X509Certificate[],
  root: X509Certificate,
  at: Date,
  /** Link verdicts by subject and issuer fingerprint, kept across calls that share certificates. */
  links = new Map<string, boolean>(),
): PathVerdict {
  const pool = uniqueByFingerprint([root, ...candidates]);
  let pathFound = false;

  const search = (path: X509Certificate[]): boolean => {
    const last = path[path.length - 1];
    if (last.fingerprint256 === root.fingerprint256) {
      pathFound = true;
      return path.every((certificate) => validAt(certificate, at));
    }
    if (path.length >= MAX_PATH_LENGTH) return false;
    return pool.some(
      (issuer) =>
        !path.some((onPath) => onPath.fingerprint256 === issuer.fingerprint256) &&
        link(last, issuer) &&
        search([...path, issuer]),
    );
  };

  const link = (subject: X509Certificate, issuer: X509Certificate): boolean => {
    const key = `${subject.fingerprint256}<${issuer.fingerprint256}`;
    let verdict = links.get(key);
    if (verdict === undefined) {
      verdict = issued(subject, issuer, issuer.fingerprint256 === root.fingerprint256);
      links.set(key, verdict);
    }
    return verdict;
  };

  if (search([signer])) return 'trusted';
  return pathFound ? 'not_valid_at_time' : 'untrusted';
}

function issued(subject: X509Certificate, issuer: X509Certificate, issuerIsAnchor: boolean): boolean {
  // The anchor is trusted by configuration (RFC 5280 §6.1.1 d): its own extensions are not checked.
  if (!issuerIsAnchor && !issuer.ca) return false;
  if (!subject.checkIssued(issuer)) return false;
  try {
    return subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function validAt(certificate: X509Certificate, at: Date): boolean {
  const time = at.getTime();
  return new Date(certificate.validFrom).getTime() <= time && time <= new Date(certificate.validTo).getTime();
}

function uniqueByFingerprint(certificates: X509Certificate[]): X509Certificate[] {
  const byFingerprint = new Map<string, X509Certificate>();
  for (const certificate of certificates) {
    if (!byFingerprint.has(certificate.fingerprint256)) byFingerprint.set(certificate.fingerprint256, certificate);
  }
  return [...byFingerprint.values()];
}
