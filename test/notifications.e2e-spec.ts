import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiClient, preparedDraft } from './support/applications';
import { freePort, ROOT } from './support/test-app';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { TEST_SECRETS } from './support/test-secrets';
import { startSystem, type RunningSystem } from './support/test-system';

jest.setTimeout(60_000);

interface GatewayCall {
  headers: IncomingHttpHeaders;
  body: { to: string; sign: string; text: string };
}

/**
 * Text messages leave through the outbox: the API writes the row with the transition, the worker
 * relays it onto BullMQ (real Redis) and sends it to an SMS gateway (a real HTTP server standing in
 * for the operator's). A gateway that fails does not hold up the transition; the message is retried.
 */
describe('SMS notifications through the outbox and the worker', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let files: string;
  let gateway: Server;
  let worker: ChildProcess;
  let workerOutput = '';
  let sql: Client;
  const calls: GatewayCall[] = [];
  let failuresLeft = 1;

  beforeAll(async () => {
    db = await createTestDatabase('sms');
    files = await mkdtemp(join(tmpdir(), 'zm-files-'));
    gateway = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        calls.push({ headers: req.headers, body: JSON.parse(raw) as GatewayCall['body'] });
        if (failuresLeft-- > 0) {
          res.writeHead(503).end();
          return;
        }
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ messageId: `gw-${calls.length}` }));
      });
    });
    const gatewayPort = await freePort();
    await new Promise<void>((resolve) => gateway.listen(gatewayPort, '127.0.0.1', resolve));
    const shared = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, STORAGE_LOCAL_DIR: files };
    system = await startSystem(shared);
    worker = spawn(process.execPath, [join(ROOT, 'dist/apps/worker/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...TEST_SECRETS,
        ...shared,
        TSA_URL: system.tsa!.url,
        REDIS_KEY_PREFIX: `test-sms-${Date.now().toString(36)}`,
        SMS_DRIVER: 'http',
        SMS_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}/send`,
        SMS_GATEWAY_TOKEN: 'gateway-token-for-tests',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    worker.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    await waitFor(
      () => workerOutput.includes('worker started'),
      30_000,
      () => workerOutput,
    );
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
    await system?.stop();
    await new Promise((resolve) => gateway?.close(resolve));
    await db?.drop();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('a submission is answered at once while the gateway fails, and the text arrives after a retry', async () => {
    const resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    const draft = await preparedDraft(resident, 'weather');
    const submitted = await resident.action(draft.id, 'submit');
    expect(submitted.status).toBe(200);

    await waitFor(
      () => calls.length >= 2,
      30_000,
      () => workerOutput,
    );
    const [failed, delivered] = calls;
    expect(failed.headers['idempotency-key']).toBe(delivered.headers['idempotency-key']);
    expect(delivered.headers.authorization).toBe('Bearer gateway-token-for-tests');
    expect(delivered.body.to).toMatch(/^1[3-9]\d{9}$/);
    expect(delivered.body.sign).toBe('增城区电子证明');
    expect(delivered.body.text).toContain('申请已提交');
    expect(delivered.body.text).toContain(draft.referenceNo);

    await waitFor(
      async () =>
        (
          await sql.query(`SELECT 1 FROM notifications WHERE sms_message_id IS NOT NULL AND application_id = $1`, [
            draft.id,
          ])
        ).rowCount === 1,
      10_000,
      () => workerOutput,
    );
    const { rows } = await sql.query<{ status: string; attempts: number }>(
      `SELECT o.status, o.attempts FROM outbox o JOIN notifications n ON n.id = o.aggregate_id
        WHERE n.application_id = $1 AND o.topic = 'notification.sms'`,
      [draft.id],
    );
    expect(rows).toEqual([{ status: 'done', attempts: 2 }]);
    // The job carried an id only; the number never passed through Redis or the worker's log in clear.
    expect(workerOutput).not.toContain(delivered.body.to);
  });
});

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  context: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms:\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
