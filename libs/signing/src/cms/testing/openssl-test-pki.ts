import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSigner, KeyAlgorithm } from '../../keys/key-store';
import type { CmsSignerInput } from '../cades-signed-data';

/**
 * A three-level PKI made by the OpenSSL CLI, so the code under test is checked against certificates
 * it did not make: root CA → issuing CA → end-entity seal certificates.
 */
export interface OpensslTestPki {
  dir: string;
  rootPemPath: string;
  root: Buffer;
  issuingCa: Buffer;
  signers: TestSigner[];
  remove(): void;
}

export interface TestSigner {
  commonName: string;
  key: KeyObject;
  input: CmsSignerInput;
}

const EXTENSIONS = `
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
`;

export function makeOpensslTestPki(algorithm: KeyAlgorithm, signerNames: string[]): OpensslTestPki {
  const dir = mkdtempSync(join(tmpdir(), `zm-pki-${algorithm}-`));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  writeFileSync(path('openssl.cnf'), EXTENSIONS);

  const keyOptions =
    algorithm === 'ec-p256'
      ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
  const newKey = (name: string) => openssl('genpkey', ...keyOptions, '-out', path(`${name}.key`));
  const serial = () => `0x${randomBytes(12).toString('hex')}`;
  const issue = (name: string, subject: string, issuer: string, extensions: string, days: number) => {
    newKey(name);
    openssl(
      'req',
      '-new',
      '-utf8',
      '-config',
      path('openssl.cnf'),
      '-key',
      path(`${name}.key`),
      '-subj',
      subject,
      '-out',
      path(`${name}.csr`),
    );
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
      extensions,
      '-out',
      path(`${name}.pem`),
    );
  };

  newKey('root');
  openssl(
    'req',
    '-x509',
    '-new',
    '-utf8',
    '-config',
    path('openssl.cnf'),
    '-key',
    path('root.key'),
    '-subj',
    '/C=CN/O=正明测试/CN=正明测试根证书',
    '-set_serial',
    serial(),
    '-days',
    '3650',
    '-sha256',
    '-extensions',
    'ca',
    '-out',
    path('root.pem'),
  );
  issue('issuing', '/C=CN/O=正明测试/CN=正明测试签发证书', 'root', 'ca', 1825);
  const der = (name: string) => Buffer.from(new X509Certificate(readFileSync(path(`${name}.pem`))).raw);
  const root = der('root');
  const issuingCa = der('issuing');

  const signers = signerNames.map((commonName, index): TestSigner => {
    const name = `seal-${index}`;
    issue(name, `/C=CN/O=正明测试/CN=${commonName}`, 'issuing', 'seal', 365);
    const key = createPrivateKey(readFileSync(path(`${name}.key`)));
    const signer: DataSigner = { algorithm, sign: async (data) => sign('sha256', data, key) };
    return { commonName, key, input: { signer, certificate: der(name), chain: [issuingCa, root] } };
  });

  return {
    dir,
    rootPemPath: path('root.pem'),
    root,
    issuingCa,
    signers,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
