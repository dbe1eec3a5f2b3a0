import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@zhengming/database';
import { ReportRefreshService } from '@zhengming/reports';
import { schema } from '../db/schema';
import { launchChromium, signInInBrowser } from './support/browser';
import { writeRandomHistory } from './support/report-history';
import { ROOT } from './support/test-app';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

const ARTIFACTS = join(ROOT, 'test-artifacts', 'reports-web');
const TOWN_A = '440118001';
const TOWN_B = '440118100';
const COMMITTEE_A = '440118001001';
const COMMITTEE_B = '440118100001';

const SCREENS: readonly { name: string; options: BrowserContextOptions }[] = [
  {
    name: 'phone',
    options: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  },
  { name: 'desktop', options: { viewport: { width: 1920, height: 1080 } } },
];

interface Issuance {
  range: { from: string; to: string };
  totals: { applications: number; certificates: number };
}
interface Committees {
  committees: { code: string; name: string; townCode: string; certificates: number }[];
  towns: { code: string; name: string }[];
  coverage: { committees: number; committeesIssuing: number };
  withoutCertificates: { code: string }[];
}
interface Efficiency {
  verifications: { totals: { total: number } };
}

/**
 * 统计报表 in real Chromium, at phone and wall-display size, over a random history in two towns: the
 * district admin sees the district and can narrow it to a town; a town supervisor sees only their
 * town in the filters and in the charts; a committee's clerk only their committee. The figures on
 * screen are the API's, and the exports behind the buttons open.
 */
describe('statistics dashboard in Chromium', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;
  let ds: DataSource;
  const names = new Map<string, string>();

  const url = (path: string) => `${system.api.baseUrl}${path}`;
  const apiJson = async <T>(who: string, path: string): Promise<T> => {
    const answer = await fetch(url(path), { headers: { authorization: `Bearer ${await system.token(who)}` } });
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as T;
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase('reports_web');
    system = await startSystem({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL });
    ds = await new DataSource(
      buildDataSourceOptions(
        { mode: 'server', url: db.url, poolSize: 2, migrateOnStart: false, seedOnStart: false },
        schema,
      ),
    ).initialize();
    const committees: { id: string; code: string; name: string }[] = await ds.query(
      `SELECT c.id, c.code, c.name FROM organizations c JOIN organizations t ON t.id = c.parent_id
        WHERE c.level = 'committee' AND t.code IN ($1, $2) AND right(c.code, 3) IN ('001', '002', '003')`,
      [TOWN_A, TOWN_B],
    );
    for (const c of committees) names.set(c.code, c.name);
    await writeRandomHistory(ds, {
      seed: 19,
      applications: 300,
      committeeIds: committees.map((c) => c.id),
      start: new Date(Date.now() - 540 * 86_400_000),
      spanDays: 535,
    });
    // With Redis the worker would refresh the roll-ups; no worker runs here, so refresh once by hand.
    const refresher = new ReportRefreshService(ds);
    while (!(await refresher.refresh()).ran) await new Promise((r) => setTimeout(r, 100));
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await ds?.destroy();
    await system?.stop();
    await db?.drop();
  });

  async function open(options: BrowserContextOptions): Promise<Page> {
    const context = await browser.newContext({ ...options, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    context.setDefaultTimeout(20_000);
    return context.newPage();
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  const text = (page: Page, testId: string) => page.getByTestId(testId).innerText();
  const options = (page: Page, testId: string) => page.getByTestId(testId).locator('option').allInnerTexts();
  /** The words an ECharts chart drew (its SVG text elements). */
  const chartText = async (page: Page, testId: string) => {
    const svg = page.getByTestId(testId).locator('svg');
    await svg.locator('text').first().waitFor({ state: 'attached' });
    return (await svg.textContent()) ?? '';
  };

  async function openDashboard(page: Page, who: string): Promise<void> {
    await signInInBrowser(page, system, who, '/staff');
    await page.getByTestId('reports-link').click();
    await page.waitForURL(url('/reports'));
    await page.getByTestId('report-efficiency').waitFor();
  }

  it.each(SCREENS)(
    'the district admin sees the whole district and narrows it to a town ($name)',
    async ({ name, options: screen }) => {
      const page = await open(screen);
      try {
        await openDashboard(page, 'admin');
        const issuance = await apiJson<Issuance>('admin', '/api/reports/issuance');
        const committees = await apiJson<Committees>('admin', '/api/reports/committees');
        const efficiency = await apiJson<Efficiency>('admin', '/api/reports/efficiency');
        expect(issuance.totals.certificates).toBeGreaterThan(20);

        await expect(text(page, 'reports-scope')).resolves.toBe('增城区（全区）');
        await expect(page.getByTestId('filter-from').inputValue()).resolves.toBe(issuance.range.from);
        await expect(page.getByTestId('filter-to').inputValue()).resolves.toBe(issuance.range.to);
        const towns = await options(page, 'filter-town');
        expect(towns[0]).toBe('全部镇街');
        expect(towns.slice(1)).toEqual(committees.towns.map((t) => t.name));
        await expect(text(page, 'issuance-applications')).resolves.toBe(String(issuance.totals.applications));
        await expect(text(page, 'issuance-certificates')).resolves.toBe(String(issuance.totals.certificates));
        await expect(text(page, 'committees-coverage')).resolves.toBe(
          `${committees.coverage.committeesIssuing} / ${committees.coverage.committees}`,
        );
        expect(committees.coverage.committees).toBe(366);
        await expect(text(page, 'committees-without-count')).resolves.toContain(
          `${committees.withoutCertificates.length} 个`,
        );
        await expect(text(page, 'verifications-total')).resolves.toBe(String(efficiency.verifications.totals.total));
        await expect(page.getByTestId('issuance-type-row').count()).resolves.toBe(5);
        const treemap = await chartText(page, 'treemap-chart');
        expect(treemap).toContain('荔城街道');
        expect(treemap).toContain('新塘镇');
        await expect(chartText(page, 'issuance-chart')).resolves.toContain('申请数（合计）');
        await expect(chartText(page, 'verifications-chart')).resolves.toContain('银行');
        await screenshot(page, `01-district-${name}`);

        await page.getByTestId('filter-town').selectOption(TOWN_B);
        await page.getByTestId('reports-scope').filter({ hasText: '新塘镇' }).waitFor();
        const townB = await apiJson<Issuance>('admin', `/api/reports/issuance?town=${TOWN_B}`);
        await page
          .getByTestId('issuance-certificates')
          .filter({ hasText: new RegExp(`^${townB.totals.certificates}$`) })
          .waitFor();
        const committeesB = await options(page, 'filter-committee');
        expect(committeesB).toContain(names.get(COMMITTEE_B));
        expect(committeesB).not.toContain(names.get(COMMITTEE_A));
        await screenshot(page, `02-town-${name}`);
      } finally {
        await page.context().close();
      }
    },
    120_000,
  );

  it.each(SCREENS)(
    'a town supervisor sees only their town, in the filters and in the charts ($name)',
    async ({ name, options: screen }) => {
      const page = await open(screen);
      try {
        await openDashboard(page, 'supervisor-a');
        const own = await apiJson<Issuance>('supervisor-a', '/api/reports/issuance');
        const district = await apiJson<Issuance>('admin', '/api/reports/issuance');
        const committees = await apiJson<Committees>('supervisor-a', '/api/reports/committees');
        expect(own.totals.certificates).toBeLessThan(district.totals.certificates);
        expect(committees.committees.every((c) => c.townCode === TOWN_A)).toBe(true);

        await expect(text(page, 'reports-scope')).resolves.toBe('荔城街道');
        await expect(options(page, 'filter-town')).resolves.toEqual(['荔城街道']);
        await expect(page.getByTestId('filter-town').isDisabled()).resolves.toBe(true);
        const committeeChoices = await options(page, 'filter-committee');
        expect(committeeChoices).toEqual([
          '全部村（居）委会',
          ...[...committees.committees].sort((a, b) => a.code.localeCompare(b.code)).map((c) => c.name),
        ]);
        expect(committeeChoices).not.toContain(names.get(COMMITTEE_B));
        await expect(text(page, 'issuance-certificates')).resolves.toBe(String(own.totals.certificates));
        await expect(text(page, 'committees-coverage')).resolves.toBe(
          `${committees.coverage.committeesIssuing} / ${committees.coverage.committees}`,
        );
        // One town in view: the treemap shows its committees.
        const treemap = await chartText(page, 'treemap-chart');
        expect(treemap).toContain(names.get(COMMITTEE_A)!.replace(/居民委员会$|村民委员会$/, ''));
        expect(treemap).not.toContain('新塘');
        const ranking = await chartText(page, 'ranking-chart');
        expect(ranking).toContain(names.get(COMMITTEE_A)!.replace(/居民委员会$|村民委员会$/, ''));
        expect(ranking).not.toContain(names.get(COMMITTEE_B)!.replace(/居民委员会$|村民委员会$/, ''));
        for (const item of await page.getByTestId('committee-without').allTextContents()) {
          expect(item.trim()).toMatch(/^荔城街道 · /);
        }
        await screenshot(page, `03-supervisor-${name}`);
      } finally {
        await page.context().close();
      }
    },
    120_000,
  );

  it('a committee clerk sees their committee alone, and a resident is refused', async () => {
    const page = await open(SCREENS[0].options);
    try {
      await openDashboard(page, 'clerk-a');
      const own = await apiJson<Issuance>('clerk-a', '/api/reports/issuance');
      await expect(text(page, 'reports-scope')).resolves.toBe(`荔城街道 · ${names.get(COMMITTEE_A)}`);
      await expect(options(page, 'filter-committee')).resolves.toEqual([names.get(COMMITTEE_A)]);
      await expect(page.getByTestId('filter-committee').isDisabled()).resolves.toBe(true);
      await expect(text(page, 'issuance-certificates')).resolves.toBe(String(own.totals.certificates));
      await expect(text(page, 'committees-coverage')).resolves.toMatch(/^[01] \/ 1$/);
      await screenshot(page, '04-clerk-phone');
    } finally {
      await page.context().close();
    }

    const resident = await open(SCREENS[0].options);
    try {
      await signInInBrowser(resident, system, 'resident-a', '/reports');
      await resident.getByTestId('reports-error').filter({ hasText: '权限' }).waitFor();
      await expect(resident.getByTestId('report-issuance').count()).resolves.toBe(0);
      await screenshot(resident, '05-resident-refused');
    } finally {
      await resident.context().close();
    }
  }, 120_000);

  it('the export buttons give a CSV, a workbook and a chart image the caller may read', async () => {
    const page = await open(SCREENS[1].options);
    try {
      await openDashboard(page, 'supervisor-a');
      for (const report of ['issuance', 'committees', 'efficiency']) {
        for (const [format, type, magic] of [
          ['csv', 'text/csv', 'efbbbf'], // the byte order mark
          ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', '504b0304'], // a zip
          ['png', 'image/png', '89504e47'],
        ] as const) {
          const href = await page.getByTestId(`export-${report}-${format}`).getAttribute('href');
          expect(href).toMatch(new RegExp(`^/api/reports/${report}\\?from=.*&format=${format}$`));
          expect(href).not.toContain('town=');
          // The browser's own session (cookie) fetches it, as a click on the link would.
          const answer = await page.evaluate(async (path) => {
            const response = await fetch(path);
            const bytes = new Uint8Array(await response.arrayBuffer());
            return {
              status: response.status,
              type: response.headers.get('content-type'),
              head: [...bytes.slice(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(''),
            };
          }, href!);
          expect(answer.status).toBe(200);
          expect(answer.type).toContain(type);
          expect(answer.head.startsWith(magic)).toBe(true);
        }
      }
    } finally {
      await page.context().close();
    }

    const svg = await fetch(url(`/api/reports/committees?format=svg`), {
      headers: { authorization: `Bearer ${await system.token('supervisor-a')}` },
    });
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(svg.headers.get('content-security-policy')).toContain('sandbox');
    const drawing = await svg.text();
    expect(drawing.startsWith('<svg')).toBe(true);
    expect(drawing).toContain('村居分布与用印');
    expect(drawing).toContain(names.get(COMMITTEE_A)!.replace(/居民委员会$|村民委员会$/, ''));
    expect(drawing).toContain('右：各村（居）委会出具数');
    expect(drawing).not.toContain('新塘');
  }, 120_000);
});
