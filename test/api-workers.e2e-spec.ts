import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { Client } from 'pg';
import { startApi, type RunningApi } from './support/test-app';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { until } from './support/until';

/** The API's worker processes: the children of the process the start command ran. */
function workerPids(api: RunningApi): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(api.process.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number)
      .sort();
  } catch {
    return [];
  }
}

/** How many API processes have said they listen (the supervising process logs each). */
function listening(api: RunningApi): number {
  return api.output().split('"API process listening"').length - 1;
}

/** A request on a connection of its own, so that each goes to whichever process accepts next. */
function getOnNewConnection(api: RunningApi, path: string): Promise<{ status: number; body: { status: string } }> {
  return new Promise((resolve, reject) => {
    get(`${api.baseUrl}${path}`, { agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

describe('API_WORKERS: several API processes on one port', () => {
  let db: TestDatabase;
  let sql: Client;
  let api: RunningApi;
  let checks = 0;

  const checkMany = async (count: number) => {
    const answers = [];
    for (let i = 0; i < count; i += 1) {
      const number = `440118001001-WT-2026-${String(900000 + (checks += 1))}-00`;
      answers.push(await getOnNewConnection(api, `/api/verifications/${number}?code=ABCDEFGH`));
    }
    return answers;
  };
  const recorded = async () =>
    Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM verifications`)).rows[0].n);

  beforeAll(async () => {
    db = await createTestDatabase('api_workers');
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    api = await startApi({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      API_WORKERS: '2',
      VERIFY_PUBLIC_PER_MINUTE: '10000',
    });
    await until('two API processes listening', () => (listening(api) === 2 ? true : undefined));
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await sql?.end();
    await db?.drop();
  });

  it('answers from every process, replaces one that dies, and loses no recorded check when stopped', async () => {
    // Which process answered shows in its request log line (checks themselves are not logged, see AppModule).
    for (let i = 0; i < 20; i += 1) expect((await getOnNewConnection(api, '/api/trust-list')).status).toBe(200);
    const answeredBy = new Set(
      api
        .output()
        .split('\n')
        .filter((line) => line.includes('"request completed"') && line.includes('"/api/trust-list"'))
        .map((line) => (JSON.parse(line) as { pid: number }).pid),
    );
    expect([...answeredBy].sort()).toEqual(workerPids(api));
    const first = await checkMany(40);
    expect(first.every((a) => a.status === 200 && a.body.status === 'unknown')).toBe(true);
    await until('the first checks recorded', async () => ((await recorded()) === 40 ? true : undefined));

    const [victim, survivor] = workerPids(api);
    process.kill(victim, 'SIGKILL');
    const replaced = await until('a replacement process', () => {
      const pids = workerPids(api);
      return pids.length === 2 && !pids.includes(victim) ? pids : undefined;
    });
    expect(replaced).toContain(survivor);
    await until('the replacement listening', () => (listening(api) === 3 ? true : undefined));
    const second = await checkMany(20);
    expect(second.every((a) => a.status === 200)).toBe(true);

    // SIGTERM reaches both processes; each writes the checks it still holds before it exits.
    expect(await api.stop()).toEqual({ code: 0, signal: null });
    expect(workerPids(api)).toEqual([]);
    expect(await recorded()).toBe(60);
  }, 120_000);
});
