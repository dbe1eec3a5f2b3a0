import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@zhengming/database';
import { addDays, ReportRefreshService } from '@zhengming/reports';
import { schema } from '../db/schema';
import { createTestDatabase } from '../test/support/test-database';
import { startSystem } from '../test/support/test-system';
import { percentile, type Bench, type BenchFigure } from './harness';

const CERTIFICATES = Number(process.env.BENCH_REPORT_CERTIFICATES ?? 1_000_000);
const VERIFICATIONS = Number(process.env.BENCH_REPORT_VERIFICATIONS ?? 3_000_000);
const REQUESTS = Number(process.env.BENCH_REPORT_REQUESTS ?? 30);
const RAW_RUNS = Number(process.env.BENCH_REPORT_RAW_RUNS ?? 3);
/** One year, district-wide: the range the target is set for. */
const YEAR = { from: '2025-01-01', to: '2025-12-31' };

/** The same figures the three reports show, computed by scanning the raw tables: the baseline. */
const RAW: Record<string, string[]> = {
  issuance: [
    `SELECT to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), type_code, count(*) FROM applications
      WHERE submitted_at >= $1 AND submitted_at < $2 GROUP BY 1, 2`,
    `SELECT to_char(c.issued_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), a.type_code, count(*)
       FROM certificates c JOIN applications a ON a.id = c.application_id
      WHERE c.status <> 'pending' AND c.issued_at >= $1 AND c.issued_at < $2 GROUP BY 1, 2`,
    `SELECT type_code, count(*) FROM applications WHERE submitted_at >= $1::timestamptz - interval '1 year'
        AND submitted_at < $2::timestamptz - interval '1 year' GROUP BY 1`,
    `SELECT a.type_code, count(*) FROM certificates c JOIN applications a ON a.id = c.application_id
      WHERE c.status <> 'pending' AND c.issued_at >= $1::timestamptz - interval '1 year'
        AND c.issued_at < $2::timestamptz - interval '1 year' GROUP BY 1`,
  ],
  committees: [
    `SELECT committee_id, count(*) FROM certificates WHERE status <> 'pending' AND issued_at >= $1 AND issued_at < $2 GROUP BY 1`,
    `SELECT committee_id, count(*) FROM report_seal_uses WHERE used_at >= $1 AND used_at < $2 GROUP BY 1`,
  ],
  efficiency: [
    `SELECT count(*), count(*) FILTER (WHERE a.clock_used_working_days <= a.time_limit_working_days),
            count(*) FILTER (WHERE a.round > 1), sum(a.round - 1),
            percentile_disc(0.5) WITHIN GROUP (ORDER BY floor(extract(epoch FROM c.issued_at - a.submitted_at) / 3600)),
            percentile_disc(0.9) WITHIN GROUP (ORDER BY floor(extract(epoch FROM c.issued_at - a.submitted_at) / 3600))
       FROM certificates c JOIN applications a ON a.id = c.application_id
      WHERE c.status <> 'pending' AND c.issued_at >= $1 AND c.issued_at < $2`,
    `SELECT count(*) FROM applications WHERE status = 'rejected' AND decided_at >= $1 AND decided_at < $2`,
    `SELECT to_char(checked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), sector, count(*) FROM verifications
      WHERE checked_at >= $1 AND checked_at < $2 GROUP BY 1, 2`,
  ],
};

const seconds = (since: number) => (performance.now() - since) / 1000;

/**
 * The three reports over a district's history of a million certificates and three million checks:
 * each report's latency through the API for a one-year, district-wide range (target p95 ≤ 200 ms),
 * beside the same figures computed by scanning the raw tables.
 *
 * The history is written with generate_series in a few statements. Applications and certificates
 * are loaded with triggers off (session_replication_role = replica) and then every cell is noted,
 * as the migration does for an existing database, so the roll-ups are built by the same refresh the
 * worker runs; verifications go through their trigger, three statements of a million rows each.
 */
export const reportsBench: Bench = {
  name: 'reports',
  async run() {
    const db = await createTestDatabase('bench_reports');
    const system = await startSystem({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', REPORTS_REFRESH_SECONDS: '3600' });
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    const figures: BenchFigure[] = [];
    const log = (line: string) => process.stderr.write(`  reports: ${line}\n`);
    try {
      const token = await system.token('admin');
      await sql.query(`SELECT setseed(0.42)`);
      await sql.query(`
        CREATE TEMP TABLE bench_committees AS
        SELECT row_number() OVER (ORDER BY o.code) AS n, o.id, o.parent_id AS town_id, s.id AS seal_id
          FROM organizations o JOIN seals s ON s.organization_id = o.id AND s.status <> 'revoked'
         WHERE o.level = 'committee' AND o.active`);
      await sql.query(`
        CREATE TEMP TABLE bench_types AS
        SELECT row_number() OVER (ORDER BY t.code) AS n, t.code, v.id AS version_id, v.time_limit_working_days AS time_limit
          FROM certificate_types t JOIN certificate_type_versions v ON v.type_id = t.id AND v.version = t.active_version`);
      const {
        rows: [person],
      } = await sql.query<{ id: string }>(
        `INSERT INTO people (name, id_number_enc, id_number_hash) VALUES ('张*明', 'bench', md5(random()::text) || md5(random()::text)) RETURNING id`,
      );
      // Issued applications first, then a tenth as many rejected ones; three years, busier before the New Year.
      const applications = Math.round(CERTIFICATES * 1.1);
      let started = performance.now();
      await sql.query(`SET session_replication_role = replica`);
      await sql.query(
        `INSERT INTO applications (reference_no, type_code, type_version_id, committee_id, town_id, applicant_id,
                                   applicant_name_masked, status, form_enc, round, time_limit_working_days,
                                   clock_used_working_days, submitted_at, decided_at, created_at)
         SELECT 'B' || g, t.code, t.version_id, c.id, c.town_id, $1, '张*明',
                CASE WHEN g <= $2 THEN 'issued' ELSE 'rejected' END, 'bench',
                1 + (random() < 0.25)::int + (random() < 0.05)::int, t.time_limit, floor(random() * (t.time_limit + 2))::int,
                s.at, s.at + random() * interval '200 hours', s.at
           FROM generate_series(1, $3) AS g
           CROSS JOIN LATERAL (SELECT 1 + floor(random() * 366 + 0 * g)::int AS c, 1 + floor(random() * 5)::int AS t, random() AS r) pick
           JOIN bench_committees c ON c.n = pick.c
           JOIN bench_types t ON t.n = pick.t
           CROSS JOIN LATERAL (SELECT timestamptz '2024-01-01 00:00+08' + (pick.r ^ 0.9) * interval '1095 days' AS at) s`,
        [person.id, CERTIFICATES, applications],
      );
      const loadApplications = seconds(started);
      started = performance.now();
      await sql.query(
        `INSERT INTO certificates (application_id, number, status, type_version_id, committee_id, verification_code_enc,
                                   holder_name_masked, holder_id_masked, issued_at, valid_until, seal_id, signed_at,
                                   revoked_at, revocation_reason)
         SELECT a.id, a.reference_no, CASE WHEN a.revoked THEN 'revoked' ELSE 'issued' END, a.type_version_id,
                a.committee_id, 'bench', '张*明', '4401**********1234', a.decided_at + interval '3 minutes',
                a.decided_at + interval '1 year', c.seal_id, a.decided_at + interval '3 minutes 2 seconds',
                CASE WHEN a.revoked THEN a.decided_at + interval '20 days' END, CASE WHEN a.revoked THEN '基准测试' END
           FROM (SELECT *, random() < 0.02 AS revoked FROM applications WHERE status = 'issued') a
           JOIN bench_committees c ON c.id = a.committee_id`,
      );
      await sql.query(`SET session_replication_role = origin`);
      const loadCertificates = seconds(started);
      // Every cell noted, as the migration does for a database that already has a history.
      await sql.query(`
        INSERT INTO report_dirty (day, committee_id)
        SELECT report_day(submitted_at), committee_id FROM applications WHERE submitted_at IS NOT NULL
        UNION SELECT report_day(decided_at), committee_id FROM applications WHERE decided_at IS NOT NULL
        UNION SELECT report_day(issued_at), committee_id FROM certificates WHERE status <> 'pending'
        UNION SELECT report_day(used_at), committee_id FROM report_seal_uses
        UNION SELECT report_day(revoked_at), committee_id FROM certificates WHERE revoked_at IS NOT NULL`);
      await sql.query(
        `CREATE TEMP TABLE bench_certificates AS SELECT row_number() OVER () AS n, id, signed_at FROM certificates`,
      );
      await sql.query(`CREATE UNIQUE INDEX ON bench_certificates (n)`);
      const institutions = await sql.query<{ id: string; sector: string }>(
        `INSERT INTO verifier_institutions (name, sector) SELECT '基准' || s, s FROM unnest(ARRAY['government','bank','school','other']) s RETURNING id, sector`,
      );
      started = performance.now();
      const perStatement = 1_000_000;
      for (let done = 0; done < VERIFICATIONS; done += perStatement) {
        await sql.query(
          `INSERT INTO verifications (certificate_id, institution_id, sector, method, result, checked_at)
           SELECT CASE WHEN pick.miss THEN NULL ELSE b.id END, i.id, COALESCE(i.sector, 'anonymous'),
                  CASE WHEN i.id IS NULL THEN 'qr' ELSE 'api' END, CASE WHEN pick.miss THEN 'unknown' ELSE 'valid' END,
                  LEAST(b.signed_at + random() * interval '90 days', timestamptz '2026-12-31 00:00+08')
             FROM generate_series(1, $1) AS g
             CROSS JOIN LATERAL (SELECT 1 + floor(random() * $2 + 0 * g)::int AS n, random() AS s, random() < 0.03 AS miss) pick
             JOIN bench_certificates b ON b.n = pick.n
             LEFT JOIN (SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(id uuid, sector text, lo float8, hi float8)) i
               ON pick.s >= i.lo AND pick.s < i.hi`,
          [
            Math.min(perStatement, VERIFICATIONS - done),
            CERTIFICATES,
            JSON.stringify(
              institutions.rows.map((r, k) => ({
                id: r.id,
                sector: r.sector,
                lo: 0.35 + k * 0.1625,
                hi: 0.5125 + k * 0.1625,
              })),
            ),
          ],
        );
      }
      const loadVerifications = seconds(started);
      await sql.query(`ANALYZE`);
      started = performance.now();
      const {
        rows: [{ cells }],
      } = await sql.query<{ cells: string }>(`SELECT count(DISTINCT (day, committee_id)) AS cells FROM report_dirty`);
      const ds = await new DataSource(
        buildDataSourceOptions(
          { mode: 'server', url: db.url, poolSize: 2, migrateOnStart: false, seedOnStart: false },
          schema,
        ),
      ).initialize();
      const refresher = new ReportRefreshService(ds);
      await refresher.refresh();
      const rebuild = seconds(started);
      await sql.query(`ANALYZE`);
      // An ordinary refresh: a hundred applications decided since the last one.
      await sql.query(
        `UPDATE applications SET status = 'rejected', decided_at = now()
          WHERE id IN (SELECT id FROM applications WHERE status = 'rejected' LIMIT 100)`,
      );
      started = performance.now();
      const incremental = await refresher.refresh();
      const incrementalMs = performance.now() - started;
      await ds.destroy();
      log(
        `history: ${applications} applications in ${loadApplications.toFixed(0)} s, certificates in ${loadCertificates.toFixed(0)} s, ` +
          `${VERIFICATIONS} verifications (through the trigger) in ${loadVerifications.toFixed(0)} s; ` +
          `roll-ups built from ${cells} cells in ${rebuild.toFixed(0)} s`,
      );
      const sizes = await sql.query<{ table: string; rows: string }>(
        `SELECT relname AS table, n_live_tup AS rows FROM pg_stat_user_tables WHERE relname LIKE 'report_%' ORDER BY 1`,
      );
      log(`roll-up rows: ${sizes.rows.map((r) => `${r.table} ${r.rows}`).join(', ')}`);

      const query = `from=${YEAR.from}&to=${YEAR.to}`;
      const range = [`${YEAR.from}T00:00:00+08:00`, `${addDays(YEAR.to, 1)}T00:00:00+08:00`];
      for (const report of ['issuance', 'committees', 'efficiency']) {
        const url = `${system.api.baseUrl}/api/reports/${report}?${query}`;
        const once = async () => {
          const t = performance.now();
          const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
          if (response.status !== 200) throw new Error(`${report}: ${response.status} ${await response.text()}`);
          await response.arrayBuffer();
          return performance.now() - t;
        };
        for (let i = 0; i < 3; i++) await once();
        const times: number[] = [];
        for (let i = 0; i < REQUESTS; i++) times.push(await once());
        times.sort((a, b) => a - b);
        const raw: number[] = [];
        for (let i = 0; i < RAW_RUNS; i++) {
          const t = performance.now();
          for (const statement of RAW[report]) await sql.query(statement, range);
          raw.push(performance.now() - t);
        }
        raw.sort((a, b) => a - b);
        const rawMedian = percentile(raw, 50);
        figures.push({
          bench: 'reports',
          scenario: `GET /api/reports/${report}, one year, district-wide`,
          unit: 'ms',
          median: percentile(times, 50),
          p95: percentile(times, 95),
          note: `${REQUESTS} requests over HTTP; target p95 ≤ 200 ms`,
        });
        figures.push({
          bench: 'reports',
          scenario: `${report}: the same figures by scanning the raw tables (SQL only)`,
          unit: 'ms',
          median: rawMedian,
          baseline: `GET /api/reports/${report}, one year, district-wide`,
          ratio: rawMedian / percentile(times, 50),
          note: `${RAW_RUNS} runs; ${CERTIFICATES} certificates, ${VERIFICATIONS} verifications`,
        });
      }
      figures.push({
        bench: 'reports',
        scenario: 'refresh: roll-ups built from every cell of the history',
        unit: 's',
        median: rebuild,
        note: `${cells} (day, committee) cells`,
      });
      figures.push({
        bench: 'reports',
        scenario: 'refresh after 100 applications changed',
        unit: 'ms',
        median: incrementalMs,
        note: `${incremental.cells} cells recounted`,
      });
    } finally {
      await sql.end();
      await system.stop();
      await db.drop();
    }
    return figures;
  },
};
