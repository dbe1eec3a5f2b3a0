import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '@zhengming/config';
import { retryDelayMs } from '@zhengming/outbox';
import { ApiClient, issuedCertificate } from '../test/support/applications';
import { ROOT } from '../test/support/test-app';
import { createTestDatabase, TEST_REDIS_URL } from '../test/support/test-database';
import { TEST_SECRETS } from '../test/support/test-secrets';
import { startPowerGridSim, startSystem } from '../test/support/test-system';
import type { Bench, BenchFigure } from './harness';

const THROUGHPUT_BACKLOG = 2_000;
const OUTAGE_BACKLOG = 10_000;
const OUTAGE_MS = 5 * 60_000;

/**
 * Deliveries end to end through the real worker (BullMQ on Redis, PostgreSQL) to a healthy stand-in:
 * records per second while a backlog drains; then the backlog a 5-minute outage leaves behind — 10,000
 * deliveries made at an even pace during the outage, each failed and backed off by the production
 * retry policy as it would have been — and the time until the last of them is delivered.
 */
export const deliveriesBench: Bench = {
  name: 'deliveries',
  async run() {
    const db = await createTestDatabase('bench_deliveries');
    const files = await mkdtemp(join(tmpdir(), 'zm-bench-files-'));
    const sim = await startPowerGridSim();
    const shared = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      POWER_GRID_URL: sim.url,
      STORAGE_LOCAL_DIR: files,
      LOG_LEVEL: 'warn',
      REDIS_KEY_PREFIX: `bench-deliveries-${Date.now().toString(36)}`,
    };
    const system = await startSystem(shared);
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    let worker: ChildProcess | undefined;
    const startWorker = () =>
      spawn(process.execPath, [join(ROOT, 'dist/apps/worker/src/main.js')], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...TEST_SECRETS, ...shared, TSA_URL: system.tsa!.url },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    const stopWorker = async () => {
      if (!worker || worker.exitCode !== null || worker.signalCode !== null) return;
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    };
    const delivered = async () =>
      Number(
        (await sql.query<{ n: string }>('SELECT count(*) AS n FROM power_grid_deliveries WHERE receipt_no IS NOT NULL'))
          .rows[0].n,
      );
    /** Starts a worker and waits for `target` deliveries: seconds from its start, and from the first new receipt. */
    const drain = async (target: number): Promise<{ seconds: number; flowingSeconds: number }> => {
      const before = await delivered();
      const started = performance.now();
      let flowing = 0;
      worker = startWorker();
      for (let count = before; count < target; count = await delivered()) {
        if (!flowing && count > before) flowing = performance.now();
        if (worker.exitCode !== null) throw new Error('worker exited');
        if (performance.now() - started > 20 * 60_000) throw new Error(`stuck at ${count} of ${target}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (performance.now() - started) / 1000;
      await stopWorker();
      process.stderr.write(`  ${target} delivered, the last ${seconds.toFixed(1)} s after the worker started\n`);
      return { seconds, flowingSeconds: (performance.now() - (flowing || started)) / 1000 };
    };
    try {
      worker = startWorker();
      const resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
      const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
      const { certificate } = await issuedCertificate(resident, approver, 'ev-charger-installation');
      while ((await delivered()) < 1) await new Promise((r) => setTimeout(r, 100));
      await stopWorker();

      await cloneDeliveries(sql, certificate.id, THROUGHPUT_BACKLOG, () => ({ attempts: 0, availableInMs: 0 }));
      const throughput = await drain(1 + THROUGHPUT_BACKLOG);

      // The production policy, as the worker reads it from the same configuration.
      const { retry } = loadConfig({ ...TEST_SECRETS }).powerGrid;
      let latest = 0;
      await cloneDeliveries(sql, certificate.id, OUTAGE_BACKLOG, (index) => {
        // Made at an even pace through the outage, failing at every attempt until it ended (now).
        let at = (index / OUTAGE_BACKLOG) * OUTAGE_MS;
        let attempts = 0;
        for (;;) {
          attempts += 1;
          const next = at + retryDelayMs(attempts, retry);
          if (next >= OUTAGE_MS) {
            latest = Math.max(latest, next - OUTAGE_MS);
            return { attempts, availableInMs: next - OUTAGE_MS };
          }
          at = next;
        }
      });
      const outage = await drain(1 + THROUGHPUT_BACKLOG + OUTAGE_BACKLOG);
      const stats = await sim.stats();
      return [
        {
          bench: 'deliveries',
          scenario: 'end to end to a healthy stand-in (worker, BullMQ, PostgreSQL)',
          unit: 'records/s',
          median: THROUGHPUT_BACKLOG / throughput.flowingSeconds,
          throughput: THROUGHPUT_BACKLOG / throughput.flowingSeconds,
          note: `${THROUGHPUT_BACKLOG} deliveries: ${throughput.flowingSeconds.toFixed(1)} s from the first receipt to the last, ${throughput.seconds.toFixed(1)} s with the worker's start`,
        },
        {
          bench: 'deliveries',
          scenario: `drain ${OUTAGE_BACKLOG.toLocaleString('en')} after a 5-minute outage`,
          unit: 's',
          median: outage.seconds,
          note: `policy: first retry ~${retry.baseDelayMs / 1000} s doubling to ${retry.maxDelayMs / 60_000} min; the last scheduled retry falls ${(latest / 1000).toFixed(0)} s after the outage; stand-in: ${stats.unique} unique, ${stats.duplicates} duplicates`,
        },
      ] satisfies BenchFigure[];
    } finally {
      await stopWorker();
      await sql.end();
      await system.stop();
      await sim.stop();
      await db.drop();
      await rm(files, { recursive: true, force: true });
    }
  },
};

/**
 * `count` more issued certificates like the given one (own application, number and delivery), each with
 * its delivery's outbox row in the state `state(index)` says: how many attempts it has had and when
 * the next is due. Rendering and signing are the issuance benchmark's; this measures the pushing.
 */
async function cloneDeliveries(
  sql: Client,
  certificateId: string,
  count: number,
  state: (index: number) => { attempts: number; availableInMs: number },
): Promise<void> {
  const tag = `B${Date.now().toString(36)}`;
  const columnsOf = async (table: string, except: string[]) =>
    (
      await sql.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND NOT (column_name = ANY($2))`,
        [table, except],
      )
    ).rows.map((c) => `"${c.column_name}"`);
  const applicationColumns = await columnsOf('applications', ['id', 'reference_no']);
  const certificateColumns = await columnsOf('certificates', ['id', 'application_id', 'number']);
  const states = Array.from({ length: count }, (_, i) => state(i));
  await sql.query('BEGIN');
  await sql.query(
    `CREATE TEMP TABLE clones ON COMMIT DROP AS
     SELECT g AS n, gen_random_uuid() AS application_id, gen_random_uuid() AS certificate_id,
            gen_random_uuid() AS delivery_id, gen_random_uuid() AS outbox_id,
            s.attempts, now() + s.available_in_ms * interval '1 millisecond' AS available_at
       FROM unnest($1::int[], $2::int[]) WITH ORDINALITY AS s(attempts, available_in_ms, g)`,
    [states.map((s) => s.attempts), states.map((s) => Math.round(s.availableInMs))],
  );
  await sql.query(
    `INSERT INTO applications (id, reference_no, ${applicationColumns.join(', ')})
     SELECT k.application_id, '${tag}' || lpad(k.n::text, 8, '0'), ${applicationColumns.map((c) => `a.${c}`).join(', ')}
       FROM clones k, certificates c JOIN applications a ON a.id = c.application_id WHERE c.id = $1`,
    [certificateId],
  );
  await sql.query(
    `INSERT INTO certificates (id, application_id, number, ${certificateColumns.join(', ')})
     SELECT k.certificate_id, k.application_id, '${tag}-' || lpad(k.n::text, 6, '0'), ${certificateColumns.map((col) => `c.${col}`).join(', ')}
       FROM clones k, certificates c WHERE c.id = $1`,
    [certificateId],
  );
  await sql.query(
    `INSERT INTO outbox (id, topic, aggregate_id, payload, dedupe_key, status, attempts, available_at)
     SELECT k.outbox_id, 'power-grid.deliver', k.certificate_id, jsonb_build_object('deliveryId', k.delivery_id),
            'power-grid.deliver:' || k.certificate_id, 'pending', k.attempts, k.available_at
       FROM clones k`,
  );
  await sql.query(
    `INSERT INTO power_grid_deliveries (id, certificate_id, application_id, outbox_id)
     SELECT k.delivery_id, k.certificate_id, k.application_id, k.outbox_id FROM clones k`,
  );
  await sql.query('COMMIT');
}
