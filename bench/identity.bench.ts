import { randomBytes } from 'node:crypto';
import { PiiCipher } from '@zhengming/pii';
import { loginThroughPlatform } from '../tools/oidc-login';
import { createTestDatabase } from '../test/support/test-database';
import { TEST_SECRETS } from '../test/support/test-secrets';
import { startSystem } from '../test/support/test-system';
import { load, loadFigures, percentile, type Bench, type BenchFigure, type LoadResult } from './harness';

const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const SIGN_INS = 30;

/**
 * What identity costs per request: a public route (no credential looked at) against an authenticated
 * one (session lookup, roles, decrypting and masking the caller's ID and phone numbers) and an
 * object-scoped staff list; the full sign-in through the identity platform; and field encryption.
 */
export const identityBench: Bench = {
  name: 'identity',
  async run() {
    const db = await createTestDatabase('bench_identity');
    const system = await startSystem({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '10' });
    const figures: BenchFigure[] = [];
    try {
      const base = system.api.baseUrl;
      const clerk = { authorization: `Bearer ${await system.token('clerk-a')}` };
      const scenarios: [string, string, Record<string, string> | undefined][] = [
        ['public: certificate type', '/api/certificate-types/guardianship', undefined],
        ['signed in: /api/me', '/api/me', clerk],
        ['staff, own committee: staff list', '/api/organizations/440118001001/staff', clerk],
      ];
      const results: Record<string, LoadResult> = {};
      await load(`${base}/api/me`, { connections: CONNECTIONS, durationSeconds: 2, headers: clerk }); // warm-up
      for (const [name, path, headers] of scenarios) {
        results[name] = await load(`${base}${path}`, { connections: CONNECTIONS, durationSeconds: DURATION, headers });
      }
      figures.push(
        ...loadFigures('identity', results, () => 'public: certificate type', {
          connections: CONNECTIONS,
          durationSeconds: DURATION,
        }),
      );

      const signIns: number[] = [];
      for (let i = 0; i < SIGN_INS; i++) {
        const started = performance.now();
        await loginThroughPlatform({
          apiBaseUrl: base,
          username: 'resident-a',
          password: TEST_SECRETS.IDP_SIM_PASSWORD,
        });
        signIns.push(performance.now() - started);
      }
      signIns.sort((a, b) => a - b);
      figures.push({
        bench: 'identity',
        scenario: 'sign-in through idp-sim (7 HTTP steps)',
        unit: 'ms',
        median: percentile(signIns, 50),
        p95: percentile(signIns, 95),
        note: `${SIGN_INS} sequential sign-ins`,
      });
    } finally {
      await system.stop();
      await db.drop();
    }

    const cipher = new PiiCipher({
      encryptionKeys: new Map([['b1', randomBytes(32)]]),
      activeKeyId: 'b1',
      hashKey: randomBytes(32),
    });
    const rounds = 100_000;
    const stored: string[] = [];
    const timed = (operation: string, work: () => void): BenchFigure => {
      const started = performance.now();
      work();
      const ms = performance.now() - started;
      return {
        bench: 'identity',
        scenario: `PII ${operation} (AES-256-GCM)`,
        unit: 'µs/op',
        median: (ms * 1000) / rounds,
        throughput: rounds / (ms / 1000),
        note: `${rounds} ID numbers, one pass (mean)`,
      };
    };
    figures.push(
      timed('encrypt', () => {
        for (let i = 0; i < rounds; i++) stored.push(cipher.encrypt('idNumber', '440118198503120125'));
      }),
      timed('decrypt', () => {
        for (const value of stored) cipher.decrypt('idNumber', value);
      }),
    );
    return figures;
  },
};
