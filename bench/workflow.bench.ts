import { Client } from 'pg';
import { ApiClient, preparedDraft, type ApplicationBody } from '../test/support/applications';
import { createTestDatabase } from '../test/support/test-database';
import { startSystem } from '../test/support/test-system';
import { load, loadFigures, percentile, type Bench, type BenchFigure } from './harness';

const APPLICATIONS = Number(process.env.BENCH_WORKFLOW_APPLICATIONS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_WORKFLOW_CONCURRENCY ?? 10);
const DISTRICT_ROWS = Number(process.env.BENCH_DISTRICT_APPLICATIONS ?? 100_000);
const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const COMMITTEE_A = '440118001001';

/** Runs `work` over the items with `concurrency` in flight; returns each call's latency (ms) and the wall time. */
async function timedPool<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  const queue = [...items];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        const t = performance.now();
        await work(item);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), wallMs: performance.now() - started };
}

function transitionFigure(scenario: string, run: { latencies: number[]; wallMs: number }): BenchFigure {
  return {
    bench: 'workflow',
    scenario,
    unit: 'ms',
    median: percentile(run.latencies, 50),
    p95: percentile(run.latencies, 95),
    throughput: run.latencies.length / (run.wallMs / 1000),
    note: `${run.latencies.length} applications, ${CONCURRENCY} in flight, real PostgreSQL`,
  };
}

/**
 * The workflow's write path (submit; approve, which also accepts, stops the clock and writes the
 * outbox row) under concurrency, and the committee review queue with 100,000 applications in the
 * district, with the query plan that answers it.
 */
export const workflowBench: Bench = {
  name: 'workflow',
  async run() {
    const db = await createTestDatabase('bench_workflow');
    const system = await startSystem({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '10' });
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    const figures: BenchFigure[] = [];
    try {
      const base = system.api.baseUrl;
      const resident = new ApiClient(base, await system.token('resident-a'));
      const approver = new ApiClient(base, await system.token('approver-a'));
      const drafts: ApplicationBody[] = [];
      for (let i = 0; i < APPLICATIONS; i++) drafts.push(await preparedDraft(resident, 'weather'));

      const expectOk = (what: string) => (answer: { status: number; text: string }) => {
        if (answer.status !== 200) throw new Error(`${what}: ${answer.status} ${answer.text}`);
      };
      const submit = await timedPool(drafts, CONCURRENCY, async (d) =>
        expectOk('submit')(await resident.action(d.id, 'submit')),
      );
      figures.push(transitionFigure('submit (form check, materials check, clock start)', submit));
      const approve = await timedPool(drafts, CONCURRENCY, async (d) =>
        expectOk('approve')(await approver.action(d.id, 'approve')),
      );
      figures.push(transitionFigure('approve (accept + approve + outbox row)', approve));

      // The district's history: applications spread over the 366 committees, most of them long done.
      const { rows: people } = await sql.query<{ id: string }>(`SELECT applicant_id AS id FROM applications LIMIT 1`);
      await sql.query(
        `INSERT INTO applications (reference_no, type_code, type_version_id, committee_id, town_id, applicant_id,
            applicant_name_masked, status, form_enc, round, time_limit_working_days, clock_used_working_days,
            clock_running_since, submitted_at, created_at, updated_at)
         SELECT 'BQ' || lpad(g::text, 12, '0'), v.type_code, v.type_version_id, c.id, c.parent_id, $1, '张*明',
                CASE WHEN g % 100 < 85 THEN 'issued' WHEN g % 100 < 90 THEN 'rejected' WHEN g % 100 < 93 THEN 'withdrawn'
                     WHEN g % 100 < 96 THEN 'submitted' WHEN g % 100 < 98 THEN 'in_review' ELSE 'supplement_requested' END,
                v.form_enc, 1, 3, 0, current_date, now() - (g % 9000) * interval '1 hour', now() - (g % 9000) * interval '1 hour', now()
           FROM generate_series(1, $2) AS g
           CROSS JOIN LATERAL (SELECT id, parent_id FROM organizations WHERE level = 'committee'
                                ORDER BY code OFFSET (g % 366) LIMIT 1) c
           CROSS JOIN (SELECT type_code, type_version_id, form_enc FROM applications LIMIT 1) v`,
        [people[0].id, DISTRICT_ROWS],
      );
      await sql.query('ANALYZE applications');
      const { rows: counts } = await sql.query<{ total: string; open: string }>(
        `SELECT count(*) AS total,
                count(*) FILTER (WHERE status IN ('submitted','in_review') AND committee_id =
                  (SELECT id FROM organizations WHERE code = $1)) AS open
           FROM applications`,
        [COMMITTEE_A],
      );

      const clerk = { authorization: `Bearer ${await system.token('clerk-a')}` };
      const queueUrl = `${base}/api/applications?queue=true&limit=20`;
      await load(queueUrl, { connections: CONCURRENCY, durationSeconds: 2, headers: clerk }); // warm-up
      const results = {
        'review queue, first page of 20 (committee A)': await load(queueUrl, {
          connections: CONCURRENCY,
          durationSeconds: DURATION,
          headers: clerk,
        }),
      };
      figures.push(
        ...loadFigures('workflow', results, () => 'review queue, first page of 20 (committee A)', {
          connections: CONCURRENCY,
          durationSeconds: DURATION,
        }).map((f) => ({
          ...f,
          note: `${f.note}; ${counts[0].total} applications in the district, ${counts[0].open} open at committee A`,
        })),
      );

      const { rows: plan } = await sql.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
         SELECT * FROM applications a
          WHERE a.committee_id IN ((SELECT id FROM organizations WHERE code = $1))
            AND a.status IN ('submitted', 'in_review')
          ORDER BY a.submitted_at ASC, a.id ASC LIMIT 21`,
        [COMMITTEE_A],
      );
      process.stdout.write(
        `\nquery plan of the review queue (${counts[0].total} applications):\n` +
          plan.map((r) => `  ${r['QUERY PLAN']}`).join('\n') +
          '\n\n',
      );
    } finally {
      await sql.end();
      await system.stop();
      await db.drop();
    }
    return figures;
  },
};
