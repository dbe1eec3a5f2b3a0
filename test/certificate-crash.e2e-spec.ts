import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Client } from 'pg';
import { ApiClient, preparedDraft } from './support/applications';
import { ROOT } from './support/test-app';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { TEST_SECRETS } from './support/test-secrets';
import { startSystem, type RunningSystem } from './support/test-system';

jest.setTimeout(120_000);

/**
 * The worker dies (SIGKILL) after it has signed and stored a certificate but before it recorded it.
 * When the outbox row's lease has run out, the next worker takes it again: there must still be
 * exactly one certificate, one number, one stored file and one "issued" step on the timeline. And
 * many approvals at once, issued by concurrent jobs, still get one serial each with no gaps.
 */
describe('Issuing in the worker', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let files: string;
  let sql: Client;
  const workers: ChildProcess[] = [];

  const shared = () => ({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, STORAGE_LOCAL_DIR: files });
  function worker(entry: string): { process: ChildProcess; output: () => string } {
    let output = '';
    const child = spawn(process.execPath, [join(ROOT, entry)], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...TEST_SECRETS,
        ...shared(),
        REDIS_KEY_PREFIX: `test-crash-${db.name}`,
        // The EV-charger certificate is pushed to the company: to this system's stand-in.
        POWER_GRID_URL: system.powerGrid!.url,
        // Both signatures are time-stamped by this system's TSA.
        TSA_URL: system.tsa!.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    workers.push(child);
    return { process: child, output: () => output };
  }

  beforeAll(async () => {
    db = await createTestDatabase('crash');
    files = await mkdtemp(join(tmpdir(), 'zm-crash-files-'));
    system = await startSystem(shared());
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  }, 120_000);

  afterAll(async () => {
    for (const child of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sql?.end();
    await system?.stop();
    await db?.drop();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('leaves exactly one certificate when the worker is killed between signing and recording, and the job is retried', async () => {
    const resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
    const draft = await preparedDraft(resident, 'ev-charger-installation');
    expect((await resident.action(draft.id, 'submit')).status).toBe(200);

    const crashing = worker('dist/test/support/crashing-worker.js');
    const died = new Promise<NodeJS.Signals | null>((resolve) => crashing.process.once('exit', (_c, s) => resolve(s)));
    expect((await approver.action(draft.id, 'approve')).status).toBe(200);
    expect(await died).toBe('SIGKILL');

    const pending = await sql.query<{ id: string; number: string; status: string; storage_key: string }>(
      `SELECT id, number, status, storage_key FROM certificates WHERE application_id = $1`,
      [draft.id],
    );
    expect(pending.rows).toHaveLength(1);
    expect(pending.rows[0].status).toBe('pending');
    const deadFile = join(files, pending.rows[0].storage_key);
    expect(existsSync(deadFile)).toBe(true);
    expect((await resident.call('GET', `/api/applications/${draft.id}`)).body).toMatchObject({ status: 'approved' });

    // The dead worker's claim would lapse after its lease; let it lapse now rather than in five minutes.
    await sql.query(
      `UPDATE outbox SET locked_until = now() WHERE topic = 'certificate.issue' AND status = 'in_flight'`,
    );
    const healthy = worker('dist/apps/worker/src/main.js');
    const deadline = Date.now() + 60_000;
    while ((await certificateStatus(sql, draft.id)) !== 'issued') {
      if (Date.now() > deadline) throw new Error(`not issued after the retry:\n${healthy.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const rows = await sql.query<{ id: string; number: string; storage_key: string }>(
      `SELECT id, number, storage_key FROM certificates WHERE application_id = $1`,
      [draft.id],
    );
    expect(rows.rows).toEqual([
      { id: pending.rows[0].id, number: pending.rows[0].number, storage_key: expect.any(String) as string },
    ]);
    expect(rows.rows[0].storage_key).not.toBe(pending.rows[0].storage_key);
    expect(existsSync(deadFile)).toBe(false);
    const stored = await readdir(dirname(join(files, rows.rows[0].storage_key)));
    expect(stored.filter((name) => name.startsWith(rows.rows[0].id))).toEqual([basename(rows.rows[0].storage_key)]);
    const serials = await sql.query<{ last_serial: number }>(`SELECT last_serial FROM certificate_serials`);
    expect(serials.rows).toEqual([{ last_serial: 1 }]);

    const application = (await resident.call('GET', `/api/applications/${draft.id}`)).body as {
      status: string;
      timeline: { action: string }[];
    };
    expect(application.status).toBe('issued');
    expect(application.timeline.filter((step) => step.action === 'issue')).toHaveLength(1);
    const download = await resident.call('GET', `/api/applications/${draft.id}/certificate.pdf`);
    expect(download.status).toBe(200);
  });

  it('issues once when two outbox rows ask for the same approval (one group, or two runs at once)', async () => {
    const resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
    const drafts = [];
    for (let i = 0; i < 3; i++) drafts.push(await preparedDraft(resident, 'ev-charger-installation'));
    for (const draft of drafts) expect((await resident.action(draft.id, 'submit')).status).toBe(200);
    // Each approval's own row, and a second row for the same application, both due two seconds on: the
    // healthy worker from the first test then claims the twins in one poll, into one group. (A row its
    // poll took before the delay was set is worked alone, and its twin by a second run after it.)
    for (const draft of drafts) expect((await approver.action(draft.id, 'approve')).status).toBe(200);
    const ids = drafts.map((draft) => draft.id);
    await sql.query(
      `WITH held AS (
         UPDATE outbox SET available_at = now() + interval '2 seconds'
          WHERE topic = 'certificate.issue' AND aggregate_id = ANY($1::uuid[]) AND status = 'pending'
          RETURNING aggregate_id)
       INSERT INTO outbox (topic, aggregate_id, payload, available_at)
       SELECT 'certificate.issue', id, jsonb_build_object('applicationId', id::text), now() + interval '2 seconds'
         FROM unnest($1::uuid[]) AS id`,
      [ids],
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await sql.query<{ open: string }>(
        `SELECT count(*) AS open FROM outbox WHERE topic = 'certificate.issue' AND aggregate_id = ANY($1) AND status <> 'done'`,
        [ids],
      );
      if (Number(rows[0].open) === 0) break;
      if (Date.now() > deadline) throw new Error(`${rows[0].open} issue rows not done`);
      await new Promise((r) => setTimeout(r, 200));
    }

    for (const draft of drafts) {
      const { rows } = await sql.query<{ id: string; status: string; storage_key: string }>(
        `SELECT id, status, storage_key FROM certificates WHERE application_id = $1`,
        [draft.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].status).toBe('issued');
      const stored = await readdir(dirname(join(files, rows[0].storage_key)));
      expect(stored.filter((name) => name.startsWith(rows[0].id))).toEqual([basename(rows[0].storage_key)]);
      const application = (await resident.call('GET', `/api/applications/${draft.id}`)).body as {
        status: string;
        timeline: { action: string }[];
      };
      expect(application.status).toBe('issued');
      expect(application.timeline.filter((step) => step.action === 'issue')).toHaveLength(1);
      const deliveries = await sql.query(`SELECT id FROM power_grid_deliveries WHERE application_id = $1`, [draft.id]);
      expect(deliveries.rows).toHaveLength(1);
      const notices = await sql.query(
        `SELECT id FROM notifications WHERE application_id = $1 AND event = 'issue' AND recipient_person_id IS NOT NULL`,
        [draft.id],
      );
      expect(notices.rows).toHaveLength(1);
    }
  }, 120_000);

  it('numbers a burst of approvals densely and uniquely while the worker issues them concurrently', async () => {
    const resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
    const drafts = [];
    for (let i = 0; i < 24; i++) drafts.push(await preparedDraft(resident, 'weather'));
    await Promise.all(drafts.map((draft) => resident.action(draft.id, 'submit')));
    // Approved all at once: the worker (a healthy one is running since the first test) takes up to 16 at a time.
    const answers = await Promise.all(drafts.map((draft) => approver.action(draft.id, 'approve')));
    expect(answers.map((answer) => answer.status)).toEqual(drafts.map(() => 200));

    const ids = drafts.map((draft) => draft.id);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const { rows } = await sql.query<{ issued: string }>(
        `SELECT count(*) AS issued FROM certificates WHERE status = 'issued' AND application_id = ANY($1)`,
        [ids],
      );
      if (Number(rows[0].issued) === ids.length) break;
      if (Date.now() > deadline) throw new Error(`${rows[0].issued} of ${ids.length} issued`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const { rows } = await sql.query<{ number: string }>(
      `SELECT number FROM certificates WHERE application_id = ANY($1)`,
      [ids],
    );
    const serials = rows.map((row) => Number(row.number.split('-')[3])).sort((a, b) => a - b);
    expect(serials).toEqual(ids.map((_, i) => i + 1));
    expect(rows.every((row) => /^440118001001-WT-\d{4}-\d{6}-[0-9A-Z]{2}$/.test(row.number))).toBe(true);
  }, 180_000);
});

async function certificateStatus(sql: Client, applicationId: string): Promise<string | undefined> {
  const rows = await sql.query<{ status: string }>(`SELECT status FROM certificates WHERE application_id = $1`, [
    applicationId,
  ]);
  return rows.rows[0]?.status;
}
