import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@zhengming/config';
import { TimestampClient, tsaCertificateProblem, verifyTimeStampToken } from '@zhengming/signing';
import { certifyTimestampingUnit, initializePki } from '../../../db/cli/pki-init';
import { openMigratedDataSource } from '../../../test/support/test-database';
import { TEST_SECRETS } from '../../../test/support/test-secrets';
import { startTsaSim, type RunningTsaSim } from './tsa-sim';
import { DEFAULT_POLICY } from './tsa-sim.config';

/**
 * tsa-sim under the district PKI: `npm run pki:init -- --tsa-dir` certifies its key from the issuing CA,
 * and its tokens chain to the district root, as OpenSSL checks them.
 */
describe('tsa-sim with a certificate from the district PKI', () => {
  let close: () => Promise<void>;
  let dir: string;
  let sim: RunningTsaSim;

  beforeAll(async () => {
    const opened = await openMigratedDataSource('district_tsa');
    close = opened.close;
    const config = loadConfig({ ...TEST_SECRETS });
    await initializePki(opened.dataSource, config);
    dir = mkdtempSync(join(tmpdir(), 'zm-district-tsa-'));
    await certifyTimestampingUnit(opened.dataSource, config, dir);
    sim = await startTsaSim(
      {
        http: { port: 0, host: '127.0.0.1' },
        files: { key: join(dir, 'tsa.key'), certificate: join(dir, 'tsa.pem'), chain: join(dir, 'chain.pem') },
        policy: DEFAULT_POLICY,
      },
      { log: () => undefined },
    );
  });
  afterAll(async () => {
    await sim?.close();
    await close?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is certified for time-stamping only, and its tokens verify against the district root with openssl', async () => {
    const certificate = new X509Certificate(readFileSync(join(dir, 'tsa.pem')));
    expect(tsaCertificateProblem(certificate)).toBeNull();
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.8']);
    const [issuing, root] = readFileSync(join(dir, 'chain.pem'), 'utf8').match(
      /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n?/g,
    )!;
    expect(new X509Certificate(root).subject).toContain('增城区电子证明根证书');
    expect(certificate.checkIssued(new X509Certificate(issuing))).toBe(true);

    const data = randomBytes(1024);
    const { token } = await new TimestampClient({ url: sim.url, timeoutMs: 5_000 }).stamp(data);
    expect(() => verifyTimeStampToken(token, data, new X509Certificate(root))).not.toThrow();
    writeFileSync(join(dir, 'data.bin'), data);
    writeFileSync(join(dir, 'token.der'), token);
    writeFileSync(join(dir, 'root.pem'), root);
    const verdict = execFileSync('openssl', [
      'ts',
      '-verify',
      '-data',
      join(dir, 'data.bin'),
      '-in',
      join(dir, 'token.der'),
      '-token_in',
      '-CAfile',
      join(dir, 'root.pem'),
      '-untrusted',
      join(dir, 'chain.pem'),
    ]).toString();
    expect(verdict).toContain('Verification: OK');
  });
});
