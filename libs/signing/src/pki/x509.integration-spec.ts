import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY_ALGORITHMS, signerFor } from '../keys/key-store';
import { SoftwareKeyStore } from '../keys/software-key-store';
import { issueCertificate } from './x509';

const pem = (der: Buffer) => new X509Certificate(der).toString();

describe(issueCertificate.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'zm-x509-'));
  const keyEncryptionKey = randomBytes(32);
  const store = new SoftwareKeyStore({ keys: new Map([['k', keyEncryptionKey]]), activeKeyId: 'k' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(KEY_ALGORITHMS)('builds a %s chain that OpenSSL verifies for document signing', async (algorithm) => {
    const year = 365 * 24 * 3600 * 1000;
    const now = new Date();
    const rootKey = await store.generate(algorithm, 'root');
    const rootName = { C: 'CN', O: '广州市增城区电子证明平台', CN: '增城区电子证明根证书' };
    const root = await issueCertificate(
      {
        subject: rootName,
        issuer: rootName,
        subjectPublicKeySpki: rootKey.publicKeySpki,
        issuerPublicKeySpki: rootKey.publicKeySpki,
        notBefore: now,
        notAfter: new Date(now.getTime() + 20 * year),
        ca: { pathLength: 1 },
        keyUsage: ['keyCertSign', 'cRLSign'],
      },
      signerFor(store, rootKey),
    );
    const sealKey = await store.generate(algorithm, 'seal');
    const seal = await issueCertificate(
      {
        subject: { C: 'CN', O: '光明社区居民委员会', CN: '光明社区居民委员会电子印章', serialNumber: '4401180010001' },
        issuer: rootName,
        subjectPublicKeySpki: sealKey.publicKeySpki,
        issuerPublicKeySpki: rootKey.publicKeySpki,
        notBefore: now,
        notAfter: new Date(now.getTime() + 3 * year),
        keyUsage: ['digitalSignature', 'nonRepudiation'],
      },
      signerFor(store, rootKey),
    );

    const rootCert = new X509Certificate(root.der);
    const sealCert = new X509Certificate(seal.der);
    expect(rootCert.verify(createPublicKey({ key: rootKey.publicKeySpki, format: 'der', type: 'spki' }))).toBe(true);
    expect(sealCert.checkIssued(rootCert)).toBe(true);
    expect(sealCert.verify(rootCert.publicKey)).toBe(true);
    expect(sealCert.subject).toContain('CN=光明社区居民委员会电子印章');
    expect(sealCert.serialNumber.toLowerCase()).toBe(seal.serialHex);

    writeFileSync(join(dir, `${algorithm}-root.pem`), pem(root.der));
    writeFileSync(join(dir, `${algorithm}-seal.pem`), pem(seal.der));
    const verified = execFileSync(
      'openssl',
      [
        'verify',
        '-purpose',
        'smimesign',
        '-CAfile',
        join(dir, `${algorithm}-root.pem`),
        join(dir, `${algorithm}-seal.pem`),
      ],
      { encoding: 'utf8' },
    );
    expect(verified).toContain(': OK');
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, `${algorithm}-seal.pem`)], {
      encoding: 'utf8',
    });
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toContain('X509v3 Authority Key Identifier');
    const rootText = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, `${algorithm}-root.pem`)], {
      encoding: 'utf8',
    });
    expect(rootText).toMatch(/Certificate Sign, CRL Sign/);
    expect(rootText).toMatch(/CA:TRUE, pathlen:1/);
  });

  it('keeps keys encrypted: a handle opens only under its key-encryption key', async () => {
    const key = await store.generate('ec-p256', 'x');
    expect(key.handle).toMatch(/^v1\.k\./);
    const other = new SoftwareKeyStore({ keys: new Map([['k', randomBytes(32)]]), activeKeyId: 'k' });
    await expect(other.sign(key, Buffer.from('data'))).rejects.toThrow();
    // A fresh store (nothing cached) with the same key-encryption key opens it.
    const reopened = new SoftwareKeyStore({ keys: new Map([['k', keyEncryptionKey]]), activeKeyId: 'k' });
    expect((await reopened.sign(key, Buffer.from('data'))).length).toBeGreaterThan(60);
    await expect(reopened.sign({ ...key, algorithm: 'rsa-2048' }, Buffer.from('data'))).rejects.toThrow();
  });
});
