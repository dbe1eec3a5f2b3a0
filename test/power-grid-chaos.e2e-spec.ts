import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { ApiClient, preparedDraft } from './support/applications';
import { approvedBacklog } from './support/backlog';
import { freePort, ROOT } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { TEST_SECRETS } from './support/test-secrets';
import { startPowerGridSim, startSystem, type RunningPowerGridSim, type RunningSystem } from './support/test-system';

const run = promisify(execFile);
const CERTIFICATES = 1000;
const DEADLINE_MS = 12 * 60_000;
jest.setTimeout(DEADLINE_MS + 120_000);

/** A Redis of this test's own, so that restarting it (and losing everything in it) touches nobody else. */
class OwnRedis {
  private process: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 100; i++) {
      const pong = await run('redis-cli', ['-p', String(this.port), 'ping']).then(
        (r) => r.stdout.trim(),
        () => '',
      );
      if (pong === 'PONG') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis-server did not start');
  }

  /** SIGKILL: whatever it held is gone. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * The delivery guarantee under everything at once: 1,000 EV-charger certificates issued and pushed
 * while the company's system fails 30 % of requests, goes down for 30 s, answers slower than our
 * timeout for a while; the worker is SIGKILLed twice and Redis is killed and restarted empty once.
 * In the end the company holds exactly 1,000 records and every delivery is delivered with its receipt.
 */
describe('deliveries under chaos', () => {
  let db: TestDatabase;
  let redis: OwnRedis;
  let sim: RunningPowerGridSim;
  let system: RunningSystem;
  let sql: Client;
  let files: string;
  const workers: ChildProcess[] = [];
  let workerOutput = '';

  const env = () => ({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    POWER_GRID_URL: sim.url,
    STORAGE_LOCAL_DIR: files,
    POWER_GRID_TIMEOUT_MS: '1500',
    POWER_GRID_RETRY_BASE_MS: '250',
    POWER_GRID_RETRY_MAX_MS: '4000',
    POWER_GRID_MAX_ATTEMPTS: '100',
    // A killed worker's claims come back after 10 s, not five minutes.
    OUTBOX_LEASE_SECONDS: '10',
  });

  function startWorker(): ChildProcess {
    const child = spawn(process.execPath, [join(ROOT, 'dist/apps/worker/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...TEST_SECRETS,
        ...env(),
        TSA_URL: system.tsa!.url,
        LOG_LEVEL: 'warn',
        REDIS_KEY_PREFIX: 'chaos',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => (workerOutput = (workerOutput + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    workers.push(child);
    return child;
  }

  async function sigkill(child: ChildProcess): Promise<void> {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  beforeAll(async () => {
    db = await createTestDatabase('power_grid_chaos');
    files = await mkdtemp(join(tmpdir(), 'zm-chaos-files-'));
    redis = new OwnRedis(await freePort());
    await redis.start();
    sim = await startPowerGridSim();
    system = await startSystem({ ...env(), LOG_LEVEL: 'warn' });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  }, 180_000);

  afterAll(async () => {
    for (const child of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sql?.end();
    await system?.stop();
    await sim?.stop();
    await redis?.kill();
    await db?.drop();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('shows the queue on Bull Board to the district admin only', async () => {
    const board = (token?: string) =>
      fetch(`${system.api.baseUrl}/admin/queues/api/queues?activeQueue=outbox&page=1`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const admin = await board(await system.token('admin'));
    expect(admin.status).toBe(200);
    const body = (await admin.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name)).toEqual(['outbox']);
    const page = await fetch(`${system.api.baseUrl}/admin/queues`, {
      headers: { authorization: `Bearer ${await system.token('admin')}`, accept: 'text/html' },
    });
    expect([page.status, page.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/html')]);
    expect((await board(await system.token('clerk-a'))).status).toBe(403);
    const anonymous = await board();
    expect([anonymous.status, ((await anonymous.json()) as { code: string }).code]).toEqual([401, 'AUTH_REQUIRED']);
  });

  it('ends with exactly 1,000 unique records at the company and every delivery delivered', async () => {
    const resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
    const draft = await preparedDraft(resident, 'ev-charger-installation');
    expect((await resident.action(draft.id, 'submit')).status).toBe(200);
    expect((await approver.action(draft.id, 'approve')).status).toBe(200);
    await approvedBacklog(sql, draft.id, CERTIFICATES);

    // The company's system misbehaves from the start: 30 % of requests fail, 10 % answer after our timeout.
    await sim.control('/control', { errorRate: 0.3, slowRate: 0.1, slowMs: 2500 });
    const started = Date.now();
    let worker = startWorker();
    const events: string[] = [];
    const at = (label: string) => events.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${label}`);
    const counts = async () => {
      const { rows } = await sql.query<{ issued: number; delivered: number; deliveries: number }>(
        `SELECT (SELECT count(*)::int FROM certificates WHERE status = 'issued') AS issued,
                (SELECT count(*)::int FROM power_grid_deliveries) AS deliveries,
                (SELECT count(*)::int FROM power_grid_deliveries WHERE receipt_no IS NOT NULL) AS delivered`,
      );
      return rows[0];
    };
    const waitUntil = async (label: string, done: (c: Awaited<ReturnType<typeof counts>>) => boolean) => {
      for (;;) {
        const c = await counts();
        if (done(c)) return at(`${label} (issued ${c.issued}, delivered ${c.delivered})`);
        if (Date.now() - started > DEADLINE_MS)
          throw new Error(`${label}: stuck at ${JSON.stringify(c)}\n${workerOutput}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    await waitUntil('some delivered', (c) => c.delivered >= 50);
    await sigkill(worker);
    at('worker SIGKILLed (1)');
    worker = startWorker();

    await waitUntil('more delivered', (c) => c.delivered >= 250);
    await sim.control('/control/outage', { seconds: 30 });
    const outageEnds = Date.now() + 30_000;
    at('company down for 30 s');
    await new Promise((r) => setTimeout(r, 5_000));
    await redis.kill();
    at('Redis killed');
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.start();
    at('Redis restarted, empty');
    await new Promise((r) => setTimeout(r, 5_000));
    await sigkill(worker);
    at('worker SIGKILLed (2)');
    worker = startWorker();

    await waitUntil('the outage over', () => Date.now() > outageEnds);
    await sim.control('/control', { slowRate: 1, slowMs: 2500 });
    at('every answer slower than the timeout');
    await new Promise((r) => setTimeout(r, 8_000));
    await sim.control('/control', { slowRate: 0.1 });
    at('back to 10 % slow');

    await waitUntil('all delivered', (c) => c.issued === CERTIFICATES && c.delivered === CERTIFICATES);
    const drainSeconds = (Date.now() - started) / 1000;

    const stats = await sim.stats();
    const records = await sim.records();
    const { rows: deliveries } = await sql.query<{ id: string; receipt_no: string; status: string; attempts: number }>(
      `SELECT d.id, d.receipt_no, o.status, o.attempts FROM power_grid_deliveries d JOIN outbox o ON o.id = d.outbox_id`,
    );
    const attempts = deliveries.reduce((sum, d) => sum + d.attempts, 0);
    process.stdout.write(
      [
        'deliveries under chaos:',
        ...events.map((e) => `  ${e}`),
        `  certificates issued and delivered: ${CERTIFICATES} in ${drainSeconds.toFixed(1)} s`,
        `  company: ${stats.unique} unique records, ${stats.duplicates} duplicates seen and suppressed (answered with the original receipt),`,
        `           ${stats.failed} requests failed (503), ${stats.refused} connections reset (outage), ${stats.rejected} rejected`,
        `  our side: ${attempts} delivery attempts for ${deliveries.length} deliveries (${attempts - deliveries.length} retries)`,
        '',
      ].join('\n'),
    );

    expect(stats.unique).toBe(CERTIFICATES);
    expect(stats.rejected).toBe(0);
    expect(new Set(records.map((r) => r.certificateNo)).size).toBe(CERTIFICATES);
    expect(deliveries).toHaveLength(CERTIFICATES);
    expect(deliveries.every((d) => d.status === 'done')).toBe(true);
    // Each delivery holds the receipt the company gave for its idempotency key.
    const receiptOf = new Map(records.map((r) => [r.idempotencyKey, r.receiptNo]));
    expect(deliveries.filter((d) => receiptOf.get(d.id) !== d.receipt_no)).toEqual([]);
    // The chaos did happen: retries and suppressed duplicates both.
    expect(attempts).toBeGreaterThan(CERTIFICATES);
    expect(stats.failed).toBeGreaterThan(0);
    expect(stats.refused).toBeGreaterThan(0);
  });
});
