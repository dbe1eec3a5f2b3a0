import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@zhengming/database';
import { schema } from '../db/schema';
import { ROOT } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { TEST_SECRETS } from './support/test-secrets';
import { startSystem, type RunningSystem } from './support/test-system';

const run = promisify(execFile);

/**
 * `npm run seed:history -- --years 3` on a freshly started system: the built CLI writes three years
 * of history, the roll-ups it leaves agree with a recount of the raw tables, the history has the
 * shape it promises (seasons, growth, supplement and rejection rates, sectors), and the dashboard's
 * API shows it to the seeded staff.
 */
describe('demo history (seed:history)', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let ds: DataSource;
  let stdout = '';

  const cli = (args: string[]) =>
    run(process.execPath, [join(ROOT, 'dist/db/cli/seed-history.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, ...TEST_SECRETS },
      maxBuffer: 1 << 20,
    }).then(
      (result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr,
      }),
    );

  beforeAll(async () => {
    db = await createTestDatabase('seed_history');
    system = await startSystem({ DATABASE_URL: db.url, REPORTS_REFRESH_SECONDS: '3600' });
    ds = await new DataSource(
      buildDataSourceOptions(
        { mode: 'server', url: db.url, poolSize: 2, migrateOnStart: false, seedOnStart: false },
        schema,
      ),
    ).initialize();
    const result = await cli(['--years', '3', '--per-year', '6000', '--seed', '7']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    stdout = result.stdout;
  }, 300_000);
  afterAll(async () => {
    await ds?.destroy();
    await system?.stop();
    await db?.drop();
  });

  it('reports what it wrote, and refuses to write it twice', async () => {
    const [raw] = await ds.query(
      `SELECT (SELECT count(*)::int FROM applications WHERE reference_no LIKE 'HS%') AS applications,
              (SELECT count(*)::int FROM certificates c JOIN applications a ON a.id = c.application_id
                WHERE a.reference_no LIKE 'HS%') AS issued,
              (SELECT count(*)::int FROM verifications) AS verifications`,
    );
    expect(stdout).toContain(`written ${raw.applications} applications (${raw.issued} issued, `);
    expect(stdout).toContain(`and ${raw.verifications} verifications`);
    const again = await cli(['--years', '1', '--per-year', '10']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already has a seeded history');
  }, 60_000);

  it('leaves roll-ups that agree exactly with a recount of the raw tables', async () => {
    const rollup = await ds.query(
      `SELECT to_char(month, 'YYYY-MM') AS month, sum(submitted)::int AS submitted, sum(issued)::int AS issued,
              sum(rejected)::int AS rejected, sum(seal_uses)::int AS seal_uses, sum(revoked)::int AS revoked,
              sum(issued_within_limit)::int AS within, sum(supplement_rounds)::int AS rounds
         FROM report_monthly GROUP BY 1 HAVING sum(submitted) + sum(issued) + sum(rejected) + sum(revoked) > 0 ORDER BY 1`,
    );
    const recount = await ds.query(
      `WITH months AS (
         SELECT to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, 1 AS submitted, 0 AS issued,
                0 AS rejected, 0 AS revoked, 0 AS within, 0 AS rounds
           FROM applications WHERE submitted_at IS NOT NULL
         UNION ALL
         SELECT to_char(a.decided_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), 0, 0, 1, 0, 0, 0
           FROM applications a WHERE a.status = 'rejected'
         UNION ALL
         SELECT to_char(c.issued_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), 0, 1, 0, 0,
                (a.clock_used_working_days <= a.time_limit_working_days)::int,
                (SELECT count(*)::int FROM supplement_requests s WHERE s.application_id = a.id)
           FROM certificates c JOIN applications a ON a.id = c.application_id WHERE c.status <> 'pending'
         UNION ALL
         SELECT to_char(c.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), 0, 0, 0, 1, 0, 0
           FROM certificates c WHERE c.revoked_at IS NOT NULL)
       SELECT month, sum(submitted)::int AS submitted, sum(issued)::int AS issued, sum(rejected)::int AS rejected,
              sum(issued)::int AS seal_uses, sum(revoked)::int AS revoked, sum(within)::int AS within,
              sum(rounds)::int AS rounds
         FROM months GROUP BY 1 ORDER BY 1`,
    );
    expect(rollup.length).toBeGreaterThanOrEqual(36);
    expect(rollup).toEqual(recount);

    const checks = await ds.query(
      `SELECT sector, sum(count)::int AS n FROM report_verifications_monthly GROUP BY 1 ORDER BY 1`,
    );
    const rawChecks = await ds.query(`SELECT sector, count(*)::int AS n FROM verifications GROUP BY 1 ORDER BY 1`);
    expect(checks).toEqual(rawChecks);
  }, 30_000);

  it('has the shape of a district’s history: seasons, growth, supplements, rejections and sectors', async () => {
    const [rates] = await ds.query(
      `SELECT avg((round > 1 OR EXISTS (SELECT 1 FROM supplement_requests s WHERE s.application_id = a.id))::int)::float AS supplemented,
              avg((status = 'rejected')::int)::float AS rejected,
              avg((status = 'issued' AND clock_used_working_days <= time_limit_working_days)::int)::float
                / avg((status = 'issued')::int)::float AS within_limit
         FROM applications a WHERE reference_no LIKE 'HS%'`,
    );
    expect(rates.supplemented).toBeGreaterThan(0.15);
    expect(rates.supplemented).toBeLessThan(0.3);
    expect(rates.rejected).toBeGreaterThan(0.03);
    expect(rates.rejected).toBeLessThan(0.1);
    expect(rates.within_limit).toBeGreaterThan(0.85);

    const byMonth: { month: number; n: number }[] = await ds.query(
      `SELECT extract(month FROM submitted_at AT TIME ZONE 'Asia/Shanghai')::int AS month, count(*)::int AS n
         FROM applications WHERE reference_no LIKE 'HS%' GROUP BY 1`,
    );
    const n = (m: number) => byMonth.find((r) => r.month === m)?.n ?? 0;
    expect(n(2)).toBeLessThan(n(3) * 0.7); // the Spring Festival
    const byYear: { y: number; n: number }[] = await ds.query(
      `SELECT extract(year FROM submitted_at AT TIME ZONE 'Asia/Shanghai')::int AS y, count(*)::int AS n
         FROM applications WHERE reference_no LIKE 'HS%'
          AND (submitted_at AT TIME ZONE 'Asia/Shanghai')::date > now()::date - 730 GROUP BY 1 ORDER BY 1`,
    );
    expect(byYear.length).toBeGreaterThanOrEqual(2);
    const [{ silent }] = await ds.query(
      `SELECT count(*)::int AS silent FROM organizations o WHERE o.level = 'committee'
          AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.committee_id = o.id)`,
    );
    expect(silent).toBeGreaterThan(5);
    expect(silent).toBeLessThan(80);
    const sectors: { sector: string }[] = await ds.query(`SELECT DISTINCT sector FROM verifications ORDER BY 1`);
    expect(sectors.map((s) => s.sector)).toEqual(['anonymous', 'bank', 'government', 'other', 'school']);
  }, 30_000);

  it('shows on the seeded staff’s reports: the district, and committee A’s clerk in their own committee', async () => {
    const get = async (who: string, path: string) => {
      const answer = await fetch(`${system.api.baseUrl}${path}`, {
        headers: { authorization: `Bearer ${await system.token(who)}` },
      });
      expect(answer.status).toBe(200);
      return (await answer.json()) as { totals: { certificates: number } };
    };
    const district = await get('admin', '/api/reports/issuance');
    const clerk = await get('clerk-a', '/api/reports/issuance');
    expect(district.totals.certificates).toBeGreaterThan(1000);
    expect(clerk.totals.certificates).toBeGreaterThan(0);
    expect(clerk.totals.certificates).toBeLessThan(district.totals.certificates);
  }, 30_000);
});
