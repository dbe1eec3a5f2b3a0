import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Tag, encode as cbor } from 'cbor-x';
import { Client } from 'pg';
import QRCode from 'qrcode';
import { compactCertificateNumber } from '@zhengming/certificates';
import { ApiClient, issuedCertificate } from '../test/support/applications';
import { approvedBacklog } from '../test/support/backlog';
import { startApi } from '../test/support/test-app';
import { createTestDatabase, TEST_REDIS_URL } from '../test/support/test-database';
import { testCipher } from '../test/support/test-secrets';
import { startSystem } from '../test/support/test-system';
import { cpuMs, cpuMsOf, wrkLoad, type Bench, type BenchFigure } from './harness';

const run = promisify(execFile);
const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** API processes, as a deployment on this machine would run them: one per core. */
const API_WORKERS = process.env.BENCH_API_WORKERS ?? '2';
/** The target rate: the latency of checks is measured with wrk paced at it. */
const TARGET_PER_SECOND = Number(process.env.BENCH_VERIFY_RATE ?? 5000);
/** Distinct certificates checked in turn: real traffic checks many, each a few times. */
const CERTIFICATES = Number(process.env.BENCH_VERIFY_CERTIFICATES ?? 300);

/**
 * The verifier API under load from a second process (wrk) against the API's processes (API_WORKERS, one
 * per core), on loopback, with the real PostgreSQL and Redis: an institution's key checked and rate-limited, the
 * certificate looked up, its code compared, the check recorded. Beside it, PostgreSQL's own
 * primary-key lookups (pgbench -S) on the same machine in the same run, as the ceiling to compare with.
 */
export const verificationBench: Bench = {
  name: 'verification',
  async run() {
    const db = await createTestDatabase('bench_verification');
    const system = await startSystem({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    let loaded: Awaited<ReturnType<typeof startApi>> | undefined;
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    const figures: BenchFigure[] = [];
    try {
      const resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
      const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
      const admin = new ApiClient(system.api.baseUrl, await system.token('admin'));
      const { application } = await issuedCertificate(resident, approver, 'weather');
      const presented = await resident.call(
        'POST',
        `/api/applications/${application.id}/certificate/presentations`,
        {},
      );
      figures.push(...presentationSizes((presented.body as { url: string }).url));
      // More certificates of the same kind, issued by the API's own outbox from a cloned backlog.
      await approvedBacklog(sql, application.id, CERTIFICATES);
      for (let waited = 0; ; waited += 1) {
        const { rows } = await sql.query<{ n: string }>(
          `SELECT count(*) AS n FROM certificates WHERE status = 'issued'`,
        );
        if (Number(rows[0].n) >= CERTIFICATES) break;
        if (waited > 3000) throw new Error(`only ${rows[0].n} of ${CERTIFICATES} certificates issued`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const { rows } = await sql.query<{ number: string; verification_code_enc: string }>(
        `SELECT number, verification_code_enc FROM certificates WHERE status = 'issued' ORDER BY random()`,
      );
      const cipher = testCipher();
      const paths = rows.map(
        (row) =>
          `/api/verifications/${compactCertificateNumber(row.number)}?code=${cipher.decrypt('verificationCode', row.verification_code_enc)}`,
      );
      const institution = await admin.call('POST', '/api/verifier-institutions', { name: '压测银行', sector: 'bank' });
      const key = await admin.call(
        'POST',
        `/api/verifier-institutions/${(institution.body as { id: string }).id}/api-keys`,
        {
          label: 'bench',
          rateLimitPerMinute: 1_000_000,
        },
      );
      const headers = { 'x-api-key': (key.body as { key: string }).key };

      // The API as deployed: with Redis (rate-limit counters shared by every API process).
      loaded = await startApi({
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        LOG_LEVEL: 'warn',
        OIDC_ISSUER: system.idp.issuer,
        DATABASE_POOL_SIZE: '10',
        API_WORKERS,
        ...(process.env.BENCH_API_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS } : {}),
      });
      const url = `${loaded.baseUrl}${paths[0]}`;
      for (const path of [paths[0], paths.at(-1)!]) {
        const check = await fetch(`${loaded.baseUrl}${path}`, { headers });
        if (((await check.json()) as { status: string }).status !== 'valid') throw new Error(`${path} not valid`);
      }
      await wrkLoad(url, { connections: CONNECTIONS, durationSeconds: 3, headers, paths }); // warm-up
      // What each request costs every process on the machine's two cores: the API, PostgreSQL's backends,
      // Redis and this process generating the load. Their sum bounds the throughput whatever the noise.
      const measured = async (
        target: string,
        requestHeaders?: Record<string, string>,
        targetPaths?: string[],
        ratePerSecond?: number,
      ) => {
        const cpu = async () => ({
          api: await cpuMs(loaded!.process.pid!, { tree: true }),
          postgres: await cpuMsOf('postgres'),
          redis: await cpuMsOf('redis-server'),
          // wrk, once it has exited: this process's children's time (and this process's own, idle meanwhile).
          load: await cpuMs(process.pid, { exitedChildren: true }),
        });
        const before = await cpu();
        const result = await wrkLoad(target, {
          connections: CONNECTIONS,
          durationSeconds: DURATION,
          headers: requestHeaders,
          paths: targetPaths,
          ratePerSecond,
        });
        const after = await cpu();
        const per = (part: keyof typeof before) => (after[part] - before[part]) / result.requests;
        const cost = { api: per('api'), postgres: per('postgres'), redis: per('redis'), load: per('load') };
        return { ...result, cost, ratePerSecond };
      };
      const results: Record<string, Awaited<ReturnType<typeof measured>>> = {
        [`GET /api/verifications/{no} (API key, ${paths.length} valid certificates in turn)`]: await measured(
          url,
          headers,
          paths,
        ),
        // The same checks at the target rate, not as fast as they go: the latency a caller sees under that load.
        [`GET /api/verifications/{no} (API key, ${paths.length} valid certificates in turn, paced at ${TARGET_PER_SECOND}/s)`]:
          await measured(url, headers, paths, TARGET_PER_SECOND),
        // The best case: one certificate over and over, so each batched lookup returns one row for all.
        'GET /api/verifications/{no} (API key, one valid certificate over and over)': await measured(url, headers),
        // The same HTTP stack answering without any database or Redis work: this machine's ceiling for it.
        'GET /health (HTTP stack only)': await measured(`${loaded.baseUrl}/health`),
      };
      const logged = await sql.query<{ count: string }>(`SELECT count(*) FROM verifications WHERE method = 'api'`);

      const pgbench = await pgbenchSelectOnly(db.url);
      const recorded = `${logged.rows[0].count} checks recorded; target ≥ 5000/s, p99 ≤ 20 ms`;
      for (const [scenario, r] of Object.entries(results)) {
        const api = scenario.startsWith('GET /api/');
        figures.push({
          bench: 'verification',
          scenario,
          unit: 'ms',
          median: r.medianMs,
          p95: r.p95Ms,
          p99: r.p99Ms,
          throughput: r.requestsPerSecond,
          baseline: 'pgbench -S',
          ratio: r.requestsPerSecond / pgbench.tps,
          note: `wrk, ${CONNECTIONS} connections ${r.ratePerSecond ? `paced at ${r.ratePerSecond}/s` : 'as fast as answered'}, ${DURATION} s, ${API_WORKERS} API processes, ${cpuNote(r.cost)}${api ? `, ${recorded}` : ''}${r.non2xx ? `, ${r.non2xx} non-2xx/errors` : ''}`,
        });
      }
      figures.push({
        bench: 'verification',
        scenario: 'pgbench -S (PostgreSQL primary-key lookups)',
        unit: 'ms',
        median: pgbench.latencyMs,
        throughput: pgbench.tps,
        note: `${CONNECTIONS} clients, 2 threads, ${DURATION} s, prepared; median is pgbench's average latency`,
      });
    } finally {
      await sql.end();
      await loaded?.stop();
      await system.stop();
      await db.drop();
    }
    return figures;
  },
};

/**
 * The presentation QR as we make it (compact JWS in the page URL's fragment) against the same claims
 * as a COSE_Sign1 (CBOR, binary hash, the form EU digital COVID certificates used), base64url in the
 * same URL: characters and the QR version each needs at error correction M.
 */
function presentationSizes(url: string): BenchFigure[] {
  const [header, payload, signature] = url.split('#p=')[1].split('.');
  const json = <T>(part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as T;
  const { kid } = json<{ kid: string }>(header);
  const claims = json<Record<string, unknown> & { dh: string }>(payload);
  const cose = cbor(
    new Tag(
      [
        cbor(
          new Map<number, unknown>([
            [1, -7],
            [4, Buffer.from(kid)],
          ]),
        ),
        new Map(),
        cbor({ ...claims, dh: Buffer.from(claims.dh, 'hex') }),
        Buffer.from(signature, 'base64url'),
      ],
      18,
    ),
  );
  const coseUrl = `${url.split('#p=')[0]}#c=${cose.toString('base64url')}`;
  const version = (text: string) => QRCode.create(text, { errorCorrectionLevel: 'M' }).version;
  return [
    ['presentation QR: compact JWS (ours)', url],
    ['presentation QR: COSE_Sign1, same claims', coseUrl],
  ].map(([scenario, text]) => ({
    bench: 'verification',
    scenario,
    unit: 'chars',
    median: text.length,
    baseline: 'presentation QR: compact JWS (ours)',
    ratio: text.length / url.length,
    note: `QR version ${version(text)} at level M (${17 + 4 * version(text)} modules a side)`,
  }));
}

/** pgbench's select-only run on a scale-10 database of its own, beside ours on the same server. */
async function pgbenchSelectOnly(url: string): Promise<{ tps: number; latencyMs: number }> {
  const target = new URL(url);
  target.pathname = `/${target.pathname.slice(1)}_pgbench`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  const name = target.pathname.slice(1);
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  await admin.query(`CREATE DATABASE "${name}"`);
  try {
    await run('pgbench', ['-i', '-q', '-s', '10', target.toString()]);
    const { stdout } = await run('pgbench', [
      '-S',
      '-M',
      'prepared',
      '-c',
      String(CONNECTIONS),
      '-j',
      '2',
      '-T',
      String(DURATION),
      target.toString(),
    ]);
    const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
    const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
    return { tps, latencyMs };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

/** CPU ms per request of each process, their sum, and the requests per second two cores allow at that cost. */
function cpuNote(cost: Record<string, number>): string {
  const total = Object.values(cost).reduce((a, b) => a + b, 0);
  const parts = Object.entries(cost).map(([part, ms]) => `${part} ${ms.toFixed(3)}`);
  return `CPU ms/request: ${parts.join(', ')}; sum ${total.toFixed(3)}, so 2 cores allow ≤ ${Math.round(2000 / total)}/s`;
}
