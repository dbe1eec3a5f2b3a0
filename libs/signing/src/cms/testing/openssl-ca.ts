import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyAlgorithm } from '../../keys/key-store';

/** The certificate profiles a test can ask for: CAs, seals (document signing) and time-stamping units. */
const CONFIG = `
[req]
distinguished_name = dn
string_mask = utf8only
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[seal]
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[tsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`;

export type CertificateProfile = 'ca' | 'seal' | 'tsa';

/** A folder where the OpenSSL CLI makes keys (PKCS#8 PEM) and certificates (PEM), named `<name>.key/.pem`. */
export interface OpensslCa {
  dir: string;
  path(file: string): string;
  /** A self-signed CA certificate (a root) for a new key. */
  selfSigned(name: string, subject: string): void;
  /** A new key and its certificate of `profile`, issued by the CA `issuer` (a name made before). */
  issue(name: string, subject: string, issuer: string, profile: CertificateProfile, days: number): void;
  certificate(name: string): X509Certificate;
  write(file: string, content: Buffer | string): string;
  remove(): void;
}

/**
 * Certificates made by the OpenSSL CLI, so that the code under test is checked against certificates it
 * did not make.
 */
export function opensslCa(algorithm: KeyAlgorithm, label: string): OpensslCa {
  const dir = mkdtempSync(join(tmpdir(), `zm-${label}-${algorithm}-`));
  const path = (file: string) => join(dir, file);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  writeFileSync(path('openssl.cnf'), CONFIG);
  const keyOptions =
    algorithm === 'ec-p256'
      ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
  const newKey = (name: string) => openssl('genpkey', ...keyOptions, '-out', path(`${name}.key`));
  const serial = () => `0x${randomBytes(12).toString('hex')}`;
  const common = ['-utf8', '-config', path('openssl.cnf')];
  return {
    dir,
    path,
    selfSigned(name, subject) {
      newKey(name);
      openssl(
        'req',
        '-x509',
        '-new',
        ...common,
        '-key',
        path(`${name}.key`),
        '-subj',
        subject,
        '-set_serial',
        serial(),
        '-days',
        '3650',
        '-sha256',
        '-extensions',
        'ca',
        '-out',
        path(`${name}.pem`),
      );
    },
    issue(name, subject, issuer, profile, days) {
      newKey(name);
      openssl('req', '-new', ...common, '-key', path(`${name}.key`), '-subj', subject, '-out', path(`${name}.csr`));
      openssl(
        'x509',
        '-req',
        '-in',
        path(`${name}.csr`),
        '-CA',
        path(`${issuer}.pem`),
        '-CAkey',
        path(`${issuer}.key`),
        '-set_serial',
        serial(),
        '-days',
        String(days),
        '-sha256',
        '-extfile',
        path('openssl.cnf'),
        '-extensions',
        profile,
        '-out',
        path(`${name}.pem`),
      );
    },
    certificate: (name) => new X509Certificate(readFileSync(path(`${name}.pem`))),
    write(file, content) {
      writeFileSync(path(file), content);
      return path(file);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
