import type { X509Certificate } from 'node:crypto';
import { opensslCa } from '../../../../libs/signing/src/cms/testing/openssl-ca';

export type TsaTestKeyAlgorithm = 'ec-p256' | 'rsa-2048';

/**
 * A PKI made by the OpenSSL CLI, so that the simulator and the client are checked against certificates
 * they did not make: root CA → issuing CA → TSA certificate (extendedKeyUsage critical timeStamping), and
 * beside it a certificate for the same kind of key with no timeStamping usage (a seal's), which must
 * not sign tokens.
 */
export interface TsaTestPki {
  dir: string;
  /** Absolute paths, PEM. */
  files: {
    root: string;
    /** The issuing CA: what `-untrusted` and TSA_SIM_CHAIN_FILE take. */
    chain: string;
    tsaKey: string;
    tsaCertificate: string;
    sealKey: string;
    sealCertificate: string;
    /** A second, unrelated root: a trust anchor the tokens do not chain to. */
    otherRoot: string;
  };
  root: X509Certificate;
  issuingCa: X509Certificate;
  tsaCertificate: X509Certificate;
  otherRoot: X509Certificate;
  /** The path of a file written into `dir`. */
  write(name: string, content: Buffer | string): string;
  remove(): void;
}

export function makeTsaTestPki(algorithm: TsaTestKeyAlgorithm): TsaTestPki {
  // genpkey writes PKCS#8 ("BEGIN PRIVATE KEY"), the form TSA_SIM_KEY_FILE takes.
  const ca = opensslCa(algorithm, 'tsa-pki');
  ca.selfSigned('root', '/C=CN/O=正明测试/CN=正明测试根证书');
  ca.issue('issuing', '/C=CN/O=正明测试/CN=正明测试签发证书', 'root', 'ca', 1825);
  ca.issue('tsa', '/C=CN/O=正明测试/CN=正明测试时间戳服务', 'issuing', 'tsa', 365);
  ca.issue('seal', '/C=CN/O=正明测试/CN=光明社区居民委员会电子印章', 'issuing', 'seal', 365);
  ca.selfSigned('other-root', '/C=CN/O=别处/CN=别处根证书');
  return {
    dir: ca.dir,
    files: {
      root: ca.path('root.pem'),
      chain: ca.path('issuing.pem'),
      tsaKey: ca.path('tsa.key'),
      tsaCertificate: ca.path('tsa.pem'),
      sealKey: ca.path('seal.key'),
      sealCertificate: ca.path('seal.pem'),
      otherRoot: ca.path('other-root.pem'),
    },
    root: ca.certificate('root'),
    issuingCa: ca.certificate('issuing'),
    tsaCertificate: ca.certificate('tsa'),
    otherRoot: ca.certificate('other-root'),
    write: ca.write,
    remove: ca.remove,
  };
}
