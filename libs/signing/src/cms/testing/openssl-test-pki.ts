import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DataSigner, KeyAlgorithm } from '../../keys/key-store';
import type { CmsSignerInput } from '../cades-signed-data';
import { opensslCa } from './openssl-ca';

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

export function makeOpensslTestPki(algorithm: KeyAlgorithm, signerNames: string[]): OpensslTestPki {
  const ca = opensslCa(algorithm, 'pki');
  ca.selfSigned('root', '/C=CN/O=正明测试/CN=正明测试根证书');
  ca.issue('issuing', '/C=CN/O=正明测试/CN=正明测试签发证书', 'root', 'ca', 1825);
  const der = (name: string) => Buffer.from(ca.certificate(name).raw);
  const root = der('root');
  const issuingCa = der('issuing');

  const signers = signerNames.map((commonName, index): TestSigner => {
    const name = `seal-${index}`;
    ca.issue(name, `/C=CN/O=正明测试/CN=${commonName}`, 'issuing', 'seal', 365);
    const key = createPrivateKey(readFileSync(ca.path(`${name}.key`)));
    const signer: DataSigner = { algorithm, sign: async (data) => sign('sha256', data, key) };
    return { commonName, key, input: { signer, certificate: der(name), chain: [issuingCa, root] } };
  });

  return { dir: ca.dir, rootPemPath: ca.path('root.pem'), root, issuingCa, signers, remove: ca.remove };
}
