import { generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import type { CmsSignerInput } from '../../cms/cades-signed-data';
import { issueCertificate, type KeyUsage } from '../../pki/x509';

/** A P-256 key and its certificate, made in-process by our own X.509 writer (fast; no OpenSSL). */
export interface TestParty {
  name: string;
  certificate: X509Certificate;
  key: KeyObject;
  spki: Buffer;
}

export interface TestPartyOptions {
  ca?: boolean;
  keyUsage?: KeyUsage[];
  notBefore?: Date;
  notAfter?: Date;
  /** Certify this party's key (and name) again instead of a new key. */
  keyOf?: TestParty;
}

const YEAR = 365 * 24 * 3600 * 1000;

/** A certificate issued by `issuer`, self-signed without one; valid from a year ago for two years unless told. */
export async function makeTestParty(
  name: string,
  issuer: TestParty | null,
  options: TestPartyOptions = {},
): Promise<TestParty> {
  const { key, spki } = options.keyOf ?? newKey();
  const signingKey = issuer?.key ?? key;
  const now = Date.now();
  const { der } = await issueCertificate(
    {
      subject: { C: 'CN', O: '正明测试', CN: name },
      issuer: { C: 'CN', O: '正明测试', CN: issuer?.name ?? name },
      subjectPublicKeySpki: spki,
      issuerPublicKeySpki: issuer?.spki ?? spki,
      notBefore: options.notBefore ?? new Date(now - YEAR),
      notAfter: options.notAfter ?? new Date(now + YEAR),
      ca: options.ca ? {} : undefined,
      keyUsage: options.keyUsage ?? (options.ca ? ['keyCertSign', 'cRLSign'] : ['digitalSignature', 'nonRepudiation']),
    },
    { algorithm: 'ec-p256', sign: async (data) => sign('sha256', data, signingKey) },
  );
  return { name, certificate: new X509Certificate(der), key, spki };
}

/** What signPreparedPdf needs to sign as `party`, with `chain` (issuing CA, root) carried in the CMS. */
export function signerInputOf(party: TestParty, chain: TestParty[]): CmsSignerInput {
  return {
    signer: { algorithm: 'ec-p256', sign: async (data) => sign('sha256', data, party.key) },
    certificate: party.certificate.raw,
    chain: chain.map((certificate) => certificate.certificate.raw),
  };
}

function newKey(): { key: KeyObject; spki: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { key: privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}
