import { parse } from 'csv-parse/sync';
import { Workbook } from 'exceljs';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@zhengming/database';
import { ReportRefreshService } from '@zhengming/reports';
import { schema } from '../db/schema';
import { request } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';
import { writeRandomHistory } from './support/report-history';

const TOWN_A = '440118001';
const TOWN_B = '440118100';
const COMMITTEE_A = '440118001001';
const COMMITTEE_B = '440118100001';
const RANGE = 'from=2026-01-01&to=2026-06-30';
const REPORTS = ['issuance', 'committees', 'efficiency'] as const;

interface Issuance {
  totals: { applications: number; certificates: number };
  series: { period: string; typeCode: string; typeName: string; applications: number; certificates: number }[];
  byType: { typeName: string; applications: number; certificates: number; applicationsChange: number | null }[];
}
interface Committees {
  committees: { rank: number; code: string; name: string; townCode: string; certificates: number; sealUses: number }[];
  towns: { code: string; committees: number; committeesIssuing: number; certificates: number; sealUses: number }[];
  coverage: { committees: number; committeesIssuing: number; share: number | null };
  withoutCertificates: { code: string }[];
}
interface Efficiency {
  processing: { certificates: number; medianHours: number | null; p90Hours: number | null };
  withinLimit: { certificates: number; share: number | null };
  rejections: { rejected: number; decided: number; rate: number | null };
  verifications: { months: Record<string, number | string>[]; totals: Record<string, number> };
}

/**
 * The report API over a random history in committees of two towns: what each kind of staff may
 * read, that figures equal a count over the raw tables, and that the CSV and XLSX exports hold the
 * same numbers as the JSON.
 */
describe('statistics reports (e2e)', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let ds: DataSource;
  let refresher: ReportRefreshService;
  const tokens: Record<string, string> = {};

  const get = (who: string, path: string) =>
    request(system.api.baseUrl, path, { headers: tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {} });
  const json = async <T>(who: string, path: string): Promise<T> => {
    const answer = await get(who, path);
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text}`);
    return answer.body as T;
  };
  /** Runs a refresh of its own; when the API's periodic one holds the lock, waits for it and tries again. */
  const settle = async () => {
    for (;;) {
      if ((await refresher.refresh()).ran) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase('reports_e2e');
    system = await startSystem({ DATABASE_URL: db.url, REPORTS_REFRESH_SECONDS: '1' });
    for (const who of ['admin', 'supervisor-a', 'clerk-a', 'resident-a']) tokens[who] = await system.token(who);
    ds = await new DataSource(
      buildDataSourceOptions(
        { mode: 'server', url: db.url, poolSize: 2, migrateOnStart: false, seedOnStart: false },
        schema,
      ),
    ).initialize();
    refresher = new ReportRefreshService(ds);
    const committees: { id: string }[] = await ds.query(
      `SELECT c.id FROM organizations c JOIN organizations t ON t.id = c.parent_id
        WHERE c.level = 'committee' AND (c.code IN ($1, $2) OR (t.code IN ($3, $4) AND c.code LIKE '%002'))`,
      [COMMITTEE_A, COMMITTEE_B, TOWN_A, TOWN_B],
    );
    await writeRandomHistory(ds, {
      seed: 9,
      applications: 250,
      committeeIds: committees.map((c) => c.id),
      start: new Date('2025-02-01T00:00:00+08:00'),
      spanDays: 500,
    });
  }, 240_000);
  afterAll(async () => {
    await ds?.destroy();
    await system?.stop();
    await db?.drop();
  });

  it('the API keeps the roll-ups fresh by itself: its figures reach the raw count within seconds', async () => {
    const [{ issued }] = await ds.query(
      `SELECT count(*)::int AS issued FROM certificates
        WHERE status <> 'pending' AND issued_at >= '2026-01-01T00:00:00+08:00' AND issued_at < '2026-07-01T00:00:00+08:00'`,
    );
    expect(issued).toBeGreaterThan(20);
    const deadline = Date.now() + 20_000;
    let seen = -1;
    while (Date.now() < deadline) {
      seen = (await json<Issuance>('admin', `/api/reports/issuance?${RANGE}`)).totals.certificates;
      if (seen === issued) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(seen).toBe(issued);
  });

  it('answers median and p90 processing hours equal to percentile_disc over the raw rows', async () => {
    await settle();
    const [raw] = await ds.query(
      `SELECT count(*)::int AS n,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY floor(extract(epoch FROM c.issued_at - a.submitted_at) / 3600))::int AS p50,
              percentile_disc(0.9) WITHIN GROUP (ORDER BY floor(extract(epoch FROM c.issued_at - a.submitted_at) / 3600))::int AS p90
         FROM certificates c JOIN applications a ON a.id = c.application_id
        WHERE c.status <> 'pending' AND c.issued_at >= '2026-01-01T00:00:00+08:00' AND c.issued_at < '2026-07-01T00:00:00+08:00'`,
    );
    const report = await json<Efficiency>('admin', `/api/reports/efficiency?${RANGE}`);
    expect(report.processing).toEqual({ certificates: raw.n, medianHours: raw.p50, p90Hours: raw.p90 });
  });

  describe('role scoping', () => {
    const filterSets = (() => {
      const sets: string[] = [];
      for (const town of ['', TOWN_A, TOWN_B])
        for (const committee of ['', COMMITTEE_A, COMMITTEE_B])
          for (const type of ['', 'weather'])
            sets.push(
              [RANGE, town && `town=${town}`, committee && `committee=${committee}`, type && `type=${type}`]
                .filter(Boolean)
                .join('&'),
            );
      return sets;
    })();

    it('a town supervisor reads their town and nothing of another, through any filter and format', async () => {
      await settle();
      let refused = 0;
      for (const report of REPORTS)
        for (const filters of filterSets)
          for (const format of ['json', 'csv', 'xlsx']) {
            const answer = await get('supervisor-a', `/api/reports/${report}?${filters}&format=${format}`);
            // Town B's code is also the start of committee B's: either names a place outside town A.
            const foreign = filters.includes(TOWN_B);
            if (foreign) {
              refused++;
              expect({ filters, status: answer.status, code: (answer.body as { code?: string })?.code }).toEqual({
                filters,
                status: 403,
                code: 'REPORT_OUT_OF_SCOPE',
              });
              expect(answer.text).not.toMatch(/certificates|出具/);
            } else {
              expect({ filters, status: answer.status }).toEqual({ filters, status: 200 });
            }
          }
      expect(refused).toBeGreaterThan(50);

      // Unfiltered, the supervisor's figures are the town's, not the district's.
      const own = await json<Committees>('supervisor-a', `/api/reports/committees?${RANGE}`);
      expect(new Set(own.committees.map((c) => c.townCode))).toEqual(new Set([TOWN_A]));
      const town = await json<Issuance>('admin', `/api/reports/issuance?${RANGE}&town=${TOWN_A}`);
      const district = await json<Issuance>('admin', `/api/reports/issuance?${RANGE}`);
      const supervisor = await json<Issuance>('supervisor-a', `/api/reports/issuance?${RANGE}`);
      expect(supervisor.totals).toEqual(town.totals);
      expect(district.totals.certificates).toBeGreaterThan(town.totals.certificates);
    });

    it('a committee clerk reads their committee only; residents and callers without a session nothing', async () => {
      const clerk = await json<Efficiency>('clerk-a', `/api/reports/efficiency?${RANGE}`);
      const committee = await json<Efficiency>('admin', `/api/reports/efficiency?${RANGE}&committee=${COMMITTEE_A}`);
      const figures = ({ processing, withinLimit, rejections, verifications }: Efficiency) => ({
        processing,
        withinLimit,
        rejections,
        verifications,
      });
      expect(figures(clerk)).toEqual(figures(committee));
      for (const filters of [`town=${TOWN_A}`, `committee=${COMMITTEE_B}`, `town=${TOWN_B}`]) {
        expect((await get('clerk-a', `/api/reports/issuance?${RANGE}&${filters}`)).status).toBe(403);
      }
      for (const report of REPORTS) {
        expect((await get('resident-a', `/api/reports/${report}?${RANGE}`)).status).toBe(403);
        expect((await get('nobody', `/api/reports/${report}?${RANGE}`)).status).toBe(401);
      }
    });

    it('refuses bad ranges and unknown places with a coded 4xx', async () => {
      const expectCode = async (path: string, status: number, code: string) => {
        const answer = await get('admin', path);
        expect({ path, status: answer.status, code: (answer.body as { code: string }).code }).toEqual({
          path,
          status,
          code,
        });
        expect((answer.body as { message: string }).message).toMatch(/[\u4e00-\u9fff]/);
      };
      await expectCode('/api/reports/issuance?from=2026-03-01&to=2026-02-01', 400, 'REPORT_RANGE_INVALID');
      await expectCode('/api/reports/issuance?from=2026-02-30&to=2026-03-01', 400, 'REPORT_RANGE_INVALID');
      await expectCode('/api/reports/issuance?from=2020-01-01&to=2026-03-01', 400, 'REPORT_RANGE_TOO_LONG');
      await expectCode('/api/reports/issuance?from=2026-1-1', 400, 'VALIDATION_FAILED');
      await expectCode('/api/reports/committees?format=pdf', 400, 'VALIDATION_FAILED');
      await expectCode('/api/reports/committees?town=440118999', 404, 'REPORT_ORGANIZATION_UNKNOWN');
      await expectCode('/api/reports/committees?type=no-such-type', 404, 'REPORT_TYPE_UNKNOWN');
      await expectCode(
        `/api/reports/efficiency?town=${TOWN_A}&committee=${COMMITTEE_B}`,
        400,
        'REPORT_COMMITTEE_NOT_IN_TOWN',
      );
    });
  });

  describe('exports', () => {
    const download = async (report: string, format: 'csv' | 'xlsx') => {
      const response = await fetch(`${system.api.baseUrl}/api/reports/${report}?${RANGE}&format=${format}`, {
        headers: { authorization: `Bearer ${tokens.admin}` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toMatch(
        new RegExp(`attachment; filename="${report}-.*\\.${format}"`),
      );
      return Buffer.from(await response.arrayBuffer());
    };
    /** The CSV's sections: title line, header, rows, separated by a blank line. */
    const csvSections = (bytes: Buffer) => {
      expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      const records: string[][] = parse(bytes, { bom: true, relax_column_count: true, skip_empty_lines: false });
      const sections = new Map<string, { header: string[]; rows: string[][] }>();
      let current: { header: string[]; rows: string[][] } | undefined;
      let expectTitle = true;
      for (const record of records) {
        if (record.length === 1 && record[0] === '') {
          expectTitle = true;
          continue;
        }
        if (expectTitle) {
          current = { header: [], rows: [] };
          sections.set(record[0], current);
          expectTitle = false;
        } else if (current!.header.length === 0) current!.header = record;
        else current!.rows.push(record);
      }
      return sections;
    };
    const sheets = async (bytes: Buffer) => {
      const workbook = new Workbook();
      await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
      const result = new Map<string, unknown[][]>();
      workbook.eachSheet((sheet) => {
        const rows: unknown[][] = [];
        sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
        result.set(sheet.name, rows);
      });
      return result;
    };

    it('issuance: the CSV (read by a CSV parser) and the XLSX (read by the library that wrote it) hold the JSON numbers', async () => {
      await settle();
      const report = await json<Issuance>('admin', `/api/reports/issuance?${RANGE}`);
      const expected = report.series.map((s) => [s.period, s.typeName, s.applications, s.certificates]);
      // Half a year in weeks (labelled by their Monday, the first on 29 December): 27 weeks × 5 types.
      expect(report.series.length).toBe(27 * 5);
      expect(report.series[0].period).toBe('2025-12-29');

      const csv = csvSections(await download('issuance', 'csv'));
      expect(csv.get('开具情况')!.header).toEqual(['周（起始周一）', '证明类型', '申请数', '出具数']);
      expect(csv.get('开具情况')!.rows.map((r) => [r[0], r[1], Number(r[2]), Number(r[3])])).toEqual(expected);
      const totals = csv.get('分类型合计与同比')!.rows.at(-1)!;
      expect([totals[0], Number(totals[1]), Number(totals[2])]).toEqual([
        '合计',
        report.totals.applications,
        report.totals.certificates,
      ]);

      const xlsx = await sheets(await download('issuance', 'xlsx'));
      const [header, ...rows] = xlsx.get('开具情况')!;
      expect(header).toEqual(['周（起始周一）', '证明类型', '申请数', '出具数']);
      // Numbers stay numbers in the workbook.
      expect(rows).toEqual(expected);
      expect(xlsx.get('分类型合计与同比')!.at(-1)!.slice(0, 3)).toEqual([
        '合计',
        report.totals.applications,
        report.totals.certificates,
      ]);
    });

    it('committees: ranking, towns and the committees without certificates in both files', async () => {
      const report = await json<Committees>('admin', `/api/reports/committees?${RANGE}`);
      expect(report.coverage.committees).toBe(366);
      expect(report.withoutCertificates.length).toBe(366 - report.coverage.committeesIssuing);
      const ranking = report.committees.map((c) => [c.rank, c.code, c.certificates, c.sealUses]);

      const csv = csvSections(await download('committees', 'csv'));
      expect(csv.get('村居排名')!.rows.map((r) => [Number(r[0]), r[3], Number(r[4]), Number(r[5])])).toEqual(ranking);
      expect(csv.get('未出具证明的村居')!.rows.map((r) => r[2])).toEqual(report.withoutCertificates.map((c) => c.code));

      const xlsx = await sheets(await download('committees', 'xlsx'));
      expect(
        xlsx
          .get('村居排名')!
          .slice(1)
          .map((r) => [r[0], r[3], r[4], r[5]]),
      ).toEqual(ranking);
      const towns = xlsx.get('镇街汇总')!.slice(1, -1);
      expect(towns.map((r) => [r[1], r[2], r[3], r[5], r[6]])).toEqual(
        report.towns.map((t) => [t.code, t.committees, t.committeesIssuing, t.certificates, t.sealUses]),
      );
    });

    it('efficiency: indicators and verifications by sector in both files', async () => {
      const report = await json<Efficiency>('admin', `/api/reports/efficiency?${RANGE}`);
      expect(report.verifications.totals.total).toBeGreaterThan(0);
      const csv = csvSections(await download('efficiency', 'csv'));
      const indicators = new Map(csv.get('办理效率')!.rows.map((r) => [r[0], r[1] === '' ? null : Number(r[1])]));
      expect(indicators.get('出具证明数')).toBe(report.processing.certificates);
      expect(indicators.get('办理时长中位数（小时）')).toBe(report.processing.medianHours);
      expect(indicators.get('承诺时限内办结率')).toBe(report.withinLimit.share);
      expect(indicators.get('不予通过率')).toBe(report.rejections.rate);
      const xlsx = await sheets(await download('efficiency', 'xlsx'));
      const [header, ...months] = xlsx.get('核验情况')!;
      expect(header).toEqual(['月份', '政府部门', '银行', '学校', '其他机构', '匿名核验', '合计']);
      expect(months.at(-1)).toEqual([
        '合计',
        report.verifications.totals.government,
        report.verifications.totals.bank,
        report.verifications.totals.school,
        report.verifications.totals.other,
        report.verifications.totals.anonymous,
        report.verifications.totals.total,
      ]);
      expect(months.slice(0, -1).map((m) => m[0])).toEqual(report.verifications.months.map((m) => m.month));
    });
  });
});
