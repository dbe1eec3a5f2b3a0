import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tsaCertificateProblem } from '../../../libs/signing/src/timestamp/tsa-certificate';
import type { TsaSimConfig } from './tsa-sim.config';

export type TsaKeyAlgorithm = 'ec-p256' | 'rsa';

/** The TSA's key, certificate and issuing CAs, read from the configured files and checked. */
export interface TsaIdentity {
  key: KeyObject;
  algorithm: TsaKeyAlgorithm;
  /** The TSA certificate, DER. */
  certificate: Buffer;
  x509: X509Certificate;
  /** The issuing CA certificates, DER, in the order of the chain file. */
  chain: Buffer[];
}

/** A key or certificate file is missing, unreadable or unfit; the message names the file and why. */
export class TsaKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TsaKeyError';
  }
}

const MIN_RSA_BITS = 2048;

export function loadTsaIdentity(files: TsaSimConfig['files']): TsaIdentity {
  const key = readKey(files.key);
  const certificates = readCertificates(files.certificate);
  if (certificates.length !== 1) {
    throw new TsaKeyError(`${files.certificate}: expected exactly one certificate, found ${certificates.length}`);
  }
  const [x509] = certificates;
  if (!x509.checkPrivateKey(key.key)) {
    throw new TsaKeyError(`${files.certificate}: the certificate is not for the key in ${files.key}`);
  }
  const problem = tsaCertificateProblem(x509);
  if (problem) throw new TsaKeyError(`${files.certificate}: not a time-stamping certificate: ${problem}`);
  const chain = files.chain === null ? [] : readCertificates(files.chain);
  if (files.chain !== null && chain.length === 0) throw new TsaKeyError(`${files.chain}: no certificate in the file`);
  return { ...key, certificate: x509.raw, x509, chain: chain.map((certificate) => certificate.raw) };
}

function readKey(path: string): { key: KeyObject; algorithm: TsaKeyAlgorithm } {
  const pem = readText(path);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new TsaKeyError(`${path}: not an unencrypted PEM private key (${messageOf(error)})`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return { key, algorithm: 'ec-p256' };
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS) return { key, algorithm: 'rsa' };
  throw new TsaKeyError(
    `${path}: the key must be EC P-256 or RSA of at least ${MIN_RSA_BITS} bits, not ${key.asymmetricKeyType} ${
      details.namedCurve ?? details.modulusLength ?? ''
    }`.trimEnd(),
  );
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readCertificates(path: string): X509Certificate[] {
  return (readText(path).match(PEM_CERTIFICATE) ?? []).map((pem, index) => {
    try {
      return new X509Certificate(pem);
    } catch (error) {
      throw new TsaKeyError(`${path}: certificate ${index + 1} cannot be read (${messageOf(error)})`);
    }
  });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new TsaKeyError(`${path}: cannot be read (${messageOf(error)})`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
