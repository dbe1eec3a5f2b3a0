import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { SigningConfig } from '@zhengming/config';
import { PkiService, SealsService, SigningKeysService, SoftwareKeyStore } from '@zhengming/signing';
import { VerificationLog } from '@zhengming/verification';
import { openMigratedDataSource } from '../../../test/support/test-database';
import { testCipher } from '../../../test/support/test-secrets';
import { writeRandomHistory, type HistoryOutcome } from '../../../test/support/report-history';
import { seedReferenceData } from '../../../db/seed';
import { StaffRole, type PersonPrincipal } from '@zhengming/identity';
import { ReportRefreshService } from './report-refresh.service';
import { ReportsService } from './reports.service';

type Row = Record<string, string | number>;

const COUNTS = [
  'submitted',
  'issued',
  'seal_uses',
  'rejected',
  'revoked',
  'issued_within_limit',
  'issued_with_supplement',
  'supplement_rounds',
] as const;

/** Shanghai calendar day / month of an instant, written here independently of the migration's functions. */
const DAY = (column: string) => `to_char(${column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`;
const MONTH = (column: string) => `to_char(${column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') || '-01'`;

/**
 * Every figure counted again from the raw tables, one event kind at a time, without the roll-up's
 * SQL: submissions, rejections, issues (with the clock and the supplement requests themselves),
 * revocations, and the signatures made with each committee's seals.
 */
async function recount(ds: DataSource, period: (column: string) => string): Promise<Row[]> {
  const cells = new Map<string, Row>();
  const add = (rows: Row[], field: string) => {
    for (const row of rows) {
      const key = `${row.period}|${row.committee}|${row.type}`;
      const cell =
        cells.get(key) ??
        (Object.fromEntries([
          ['period', row.period],
          ['committee_id', row.committee],
          ['type_code', row.type],
          ...COUNTS.map((c) => [c, 0]),
        ]) as Row);
      cell[field] = Number(cell[field]) + Number(row.n);
      cells.set(key, cell);
    }
  };
  add(
    await ds.query(
      `SELECT ${period('submitted_at')} AS period, committee_id AS committee, type_code AS type, count(*) AS n
         FROM applications WHERE submitted_at IS NOT NULL GROUP BY 1, 2, 3`,
    ),
    'submitted',
  );
  add(
    await ds.query(
      `SELECT ${period('decided_at')} AS period, committee_id AS committee, type_code AS type, count(*) AS n
         FROM applications WHERE status = 'rejected' GROUP BY 1, 2, 3`,
    ),
    'rejected',
  );
  const issued = `FROM certificates c JOIN applications a ON a.id = c.application_id WHERE c.status IN ('issued', 'revoked')`;
  add(
    await ds.query(
      `SELECT ${period('c.issued_at')} AS period, c.committee_id AS committee, a.type_code AS type, count(*) AS n ${issued} GROUP BY 1, 2, 3`,
    ),
    'issued',
  );
  add(
    await ds.query(
      `SELECT ${period('c.issued_at')} AS period, c.committee_id AS committee, a.type_code AS type, count(*) AS n ${issued}
          AND a.clock_used_working_days <= a.time_limit_working_days GROUP BY 1, 2, 3`,
    ),
    'issued_within_limit',
  );
  const supplements = `(SELECT count(*) FROM supplement_requests s WHERE s.application_id = a.id)`;
  add(
    await ds.query(
      `SELECT ${period('c.issued_at')} AS period, c.committee_id AS committee, a.type_code AS type, count(*) AS n ${issued}
          AND ${supplements} > 0 GROUP BY 1, 2, 3`,
    ),
    'issued_with_supplement',
  );
  add(
    await ds.query(
      `SELECT ${period('c.issued_at')} AS period, c.committee_id AS committee, a.type_code AS type, sum(${supplements}) AS n
         ${issued} GROUP BY 1, 2, 3`,
    ),
    'supplement_rounds',
  );
  add(
    await ds.query(
      `SELECT ${period('c.revoked_at')} AS period, c.committee_id AS committee, a.type_code AS type, count(*) AS n
         FROM certificates c JOIN applications a ON a.id = c.application_id WHERE c.status = 'revoked' GROUP BY 1, 2, 3`,
    ),
    'revoked',
  );
  add(
    await ds.query(
      `SELECT ${period('c.signed_at')} AS period, s.organization_id AS committee, a.type_code AS type, count(*) AS n
         FROM certificates c JOIN seals s ON s.id = c.seal_id JOIN applications a ON a.id = c.application_id
        WHERE c.status IN ('issued', 'revoked') GROUP BY 1, 2, 3`,
    ),
    'seal_uses',
  );
  return sorted([...cells.values()]);
}

function sorted(rows: Row[]): Row[] {
  const key = (r: Row) => Object.values(r).join('|');
  return rows.map((r) => ({ ...r })).sort((a, b) => key(a).localeCompare(key(b)));
}

async function rollup(ds: DataSource, table: string, period: string): Promise<Row[]> {
  const rows: Row[] = await ds.query(
    `SELECT to_char(${period}, 'YYYY-MM-DD') AS period, committee_id, type_code, ${COUNTS.join(', ')} FROM ${table}`,
  );
  return sorted(rows.map((r) => ({ ...r, ...Object.fromEntries(COUNTS.map((c) => [c, Number(r[c])])) })));
}

describe(ReportRefreshService.name, () => {
  let ds: DataSource;
  let close: () => Promise<void>;
  let sut: ReportRefreshService;
  let history: HistoryOutcome;
  let refreshes = 0;
  let skipped = 0;

  beforeAll(async () => {
    const opened = await openMigratedDataSource('report_rollups');
    ds = opened.dataSource;
    close = opened.close;
    await seedReferenceData(ds, testCipher());
    const store = new SoftwareKeyStore({ keys: new Map([['k1', randomBytes(32)]]), activeKeyId: 'k1' });
    const keys = new SigningKeysService(store, { algorithm: 'ec-p256' } as SigningConfig);
    const pki = new PkiService(ds, keys);
    await pki.initialize();
    await new SealsService(ds, pki, keys).ensureCommitteeSeals();
    sut = new ReportRefreshService(ds);

    // Seven committees in three towns; the history runs over four months, across month ends.
    const committees: { id: string }[] = await ds.query(
      `SELECT c.id FROM organizations c JOIN organizations t ON t.id = c.parent_id
        WHERE c.level = 'committee' AND t.code IN ('440118001', '440118100', '440118002') ORDER BY c.code LIMIT 7`,
    );
    const log = new VerificationLog(ds);
    const background: Promise<unknown>[] = [];
    history = await writeRandomHistory(ds, {
      seed: 20261126,
      applications: 400,
      committeeIds: committees.map((c) => c.id),
      start: new Date('2026-01-25T00:00:00+08:00'),
      spanDays: 110,
      everyOps: 40,
      // The real batch writer of the verification log, so its statement fires the trigger as in production.
      verify: async (rows) => {
        for (const row of rows) log.record(row);
        await log.flush();
      },
      // Refreshes between writes, and some running while the next writes commit.
      between: async (op) => {
        if (op % 120 === 0) {
          background.push(sut.refresh().then((r) => (r.ran ? refreshes++ : skipped++)));
        } else {
          const r = await sut.refresh();
          if (r.ran) refreshes++;
          else skipped++;
        }
      },
    });
    await Promise.all(background);
    await sut.refresh();
  }, 180_000);
  afterAll(() => close?.());

  it('wrote a varied history and refreshed along the way', () => {
    expect(history.issued).toBeGreaterThan(100);
    expect(history.rejected).toBeGreaterThan(20);
    expect(history.revoked).toBeGreaterThan(5);
    expect(history.verifications).toBeGreaterThan(100);
    expect(refreshes).toBeGreaterThan(10);
  });

  it('daily figures equal a recount from the raw tables', async () => {
    expect(await rollup(ds, 'report_daily', 'day')).toEqual(await recount(ds, DAY));
  });

  it('monthly figures equal a recount from the raw tables', async () => {
    const recounted = await recount(ds, MONTH);
    expect(recounted.length).toBeGreaterThan(20);
    expect(await rollup(ds, 'report_monthly', 'month')).toEqual(recounted);
  });

  it('the processing-time histograms give the same median and p90 as percentile_disc over the raw rows', async () => {
    const raw: Row[] = await ds.query(
      `SELECT ${MONTH('c.issued_at')} AS month, c.committee_id,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY floor(extract(epoch FROM c.issued_at - a.submitted_at) / 3600)) AS p50,
              percentile_disc(0.9) WITHIN GROUP (ORDER BY floor(extract(epoch FROM c.issued_at - a.submitted_at) / 3600)) AS p90,
              count(*) AS n
         FROM certificates c JOIN applications a ON a.id = c.application_id
        WHERE c.status IN ('issued', 'revoked') GROUP BY 1, 2`,
    );
    const histogram: { month: string; committee_id: string; hours: number; count: number }[] = await ds.query(
      `SELECT to_char(month, 'YYYY-MM-DD') AS month, committee_id, hours, sum(count)::int AS count
         FROM report_processing_monthly GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
    const fromHistogram = raw.map((r) => {
      const buckets = histogram.filter((h) => h.month === r.month && h.committee_id === r.committee_id);
      const n = buckets.reduce((s, b) => s + b.count, 0);
      const at = (p: number) => {
        let seen = 0;
        for (const b of buckets) if ((seen += b.count) >= Math.ceil(p * n)) return b.hours;
      };
      return { ...r, p50: at(0.5), p90: at(0.9), n };
    });
    expect(fromHistogram).toEqual(raw.map((r) => ({ ...r, p50: Number(r.p50), p90: Number(r.p90), n: Number(r.n) })));
  });

  it('verification counts per day, committee, type and sector equal the verification log', async () => {
    const raw = await ds.query(
      `SELECT ${DAY('v.checked_at')} AS day, COALESCE(c.committee_id::text, 'none') AS committee, COALESCE(a.type_code, '') AS type,
              v.sector, count(*)::int AS count
         FROM verifications v LEFT JOIN certificates c ON c.id = v.certificate_id LEFT JOIN applications a ON a.id = c.application_id
        GROUP BY 1, 2, 3, 4`,
    );
    const daily = await ds.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day,
              CASE WHEN committee_id = '00000000-0000-0000-0000-000000000000' THEN 'none' ELSE committee_id::text END AS committee,
              type_code AS type, sector, count FROM report_verifications_daily`,
    );
    expect(sorted(daily)).toEqual(sorted(raw));
    const monthly = await ds.query(
      `SELECT to_char(month, 'YYYY-MM') AS month, sum(count)::int AS count FROM report_verifications_monthly GROUP BY 1`,
    );
    const rawMonthly = await ds.query(
      `SELECT to_char(checked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, count(*)::int AS count FROM verifications GROUP BY 1`,
    );
    expect(sorted(monthly)).toEqual(sorted(rawMonthly));
  });

  it('leaves nothing dirty, and a second refresh finds nothing to do', async () => {
    expect(await sut.refresh()).toEqual({ ran: true, cells: 0 });
  });

  it('lets one process refresh at a time: the other skips its turn', async () => {
    await ds.query(`INSERT INTO report_dirty (day, committee_id) SELECT day, committee_id FROM report_daily LIMIT 50`);
    const [a, b] = await Promise.all([sut.refresh(), sut.refresh()]);
    expect([a.ran, b.ran].sort()).toEqual([false, true]);
    await sut.refresh();
    expect(await rollup(ds, 'report_daily', 'day')).toEqual(await recount(ds, DAY));
  });

  it('keeps the district-wide monthly histograms and check counts equal to the raw rows', async () => {
    const histogram = await ds.query(
      `SELECT to_char(month, 'YYYY-MM') AS month, type_code AS type, hours, count FROM report_processing_district_monthly`,
    );
    const rawHistogram = await ds.query(
      `SELECT ${MONTH('c.issued_at')} AS month, a.type_code AS type,
              floor(extract(epoch FROM c.issued_at - a.submitted_at) / 3600)::int AS hours, count(*)::int AS count
         FROM certificates c JOIN applications a ON a.id = c.application_id
        WHERE c.status IN ('issued', 'revoked') GROUP BY 1, 2, 3`,
    );
    expect(sorted(histogram.map((h: Row) => ({ ...h, month: `${h.month}-01` })))).toEqual(sorted(rawHistogram));
    const checks = await ds.query(
      `SELECT to_char(month, 'YYYY-MM') AS month, type_code AS type, sector, count FROM report_verifications_district_monthly`,
    );
    const rawChecks = await ds.query(
      `SELECT to_char(v.checked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, COALESCE(a.type_code, '') AS type,
              v.sector, count(*)::int AS count
         FROM verifications v LEFT JOIN certificates c ON c.id = v.certificate_id LEFT JOIN applications a ON a.id = c.application_id
        GROUP BY 1, 2, 3`,
    );
    expect(sorted(checks)).toEqual(sorted(rawChecks));
  });

  it('rebuilds from scratch when every cell of half a year is noted (the path of a first refresh)', async () => {
    for (const table of ['report_daily', 'report_monthly', 'report_processing_daily', 'report_processing_monthly']) {
      await ds.query(`DELETE FROM ${table}`);
    }
    await ds.query(`DELETE FROM report_processing_district_monthly`);
    await ds.query(
      `INSERT INTO report_dirty (day, committee_id)
       SELECT d::date, o.id FROM generate_series('2026-01-01'::date, '2026-06-30'::date, interval '1 day') d
       CROSS JOIN organizations o WHERE o.level = 'committee'`,
    );
    const outcome = await sut.refresh();
    expect(outcome.cells).toBe(181 * 366);
    expect(await rollup(ds, 'report_daily', 'day')).toEqual(await recount(ds, DAY));
    expect(await rollup(ds, 'report_monthly', 'month')).toEqual(await recount(ds, MONTH));
  }, 120_000);

  describe('the reports read from them', () => {
    const admin: PersonPrincipal = {
      kind: 'person',
      personId: '00000000-0000-0000-0000-000000000001',
      sessionId: 'test',
      roles: [
        {
          id: 'grant',
          role: StaffRole.Admin,
          organization: {
            id: 'district',
            code: '440118',
            name: '增城区',
            level: 'district',
            parentId: null,
            parent: null,
          },
        },
      ],
    };
    // Ranges that start and end inside months, span whole months, or stay within one month.
    const ranges = [
      { from: '2026-02-10', to: '2026-04-20' },
      { from: '2026-01-25', to: '2026-05-31' },
      { from: '2026-03-01', to: '2026-03-31' },
      { from: '2026-03-05', to: '2026-03-05' },
      { from: '2026-01-01', to: '2026-12-31' },
    ];
    const bounds = (r: { from: string; to: string }) => [`${r.from}T00:00:00+08:00`, `${r.to}T23:59:59.999999+08:00`];

    it.each(ranges)('give the raw count for $from … $to', async (range) => {
      const reports = new ReportsService(ds);
      const scope = await reports.scope(admin, range, '2026-11-26');
      const [raw] = await ds.query(
        `SELECT (SELECT count(*)::int FROM applications WHERE submitted_at BETWEEN $1 AND $2) AS applications,
                (SELECT count(*)::int FROM certificates WHERE status <> 'pending' AND issued_at BETWEEN $1 AND $2) AS certificates,
                (SELECT count(*)::int FROM applications WHERE status = 'rejected' AND decided_at BETWEEN $1 AND $2) AS rejected,
                (SELECT count(*)::int FROM verifications WHERE checked_at BETWEEN $1 AND $2) AS verifications,
                (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY floor(extract(epoch FROM c.issued_at - a.submitted_at) / 3600))::int
                   FROM certificates c JOIN applications a ON a.id = c.application_id
                  WHERE c.status <> 'pending' AND c.issued_at BETWEEN $1 AND $2) AS median,
                (SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY floor(extract(epoch FROM c.issued_at - a.submitted_at) / 3600))::int
                   FROM certificates c JOIN applications a ON a.id = c.application_id
                  WHERE c.status <> 'pending' AND c.issued_at BETWEEN $1 AND $2) AS p90`,
        bounds(range),
      );
      const issuance = await reports.issuance(scope);
      const efficiency = await reports.efficiency(scope);
      const committees = await reports.committees(scope);
      expect({
        applications: issuance.totals.applications,
        certificates: issuance.totals.certificates,
        rejected: efficiency.rejections.rejected,
        verifications: efficiency.verifications.totals.total,
        median: efficiency.processing.medianHours,
        p90: efficiency.processing.p90Hours,
      }).toEqual(raw);
      expect(issuance.series.reduce((sum, s) => sum + s.certificates, 0)).toBe(raw.certificates);
      expect(committees.committees.reduce((sum, c) => sum + c.certificates, 0)).toBe(raw.certificates);
      expect(committees.coverage.committees).toBe(366);
    });
  });
});
