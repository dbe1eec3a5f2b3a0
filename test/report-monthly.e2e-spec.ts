import { execFile } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@zhengming/database';
import { schema } from '../db/schema';
import { pdfText, qpdfCheck } from './support/pdf-tools';
import { writeRandomHistory } from './support/report-history';
import { ROOT } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { TEST_SECRETS } from './support/test-secrets';
import { startSystem } from './support/test-system';

const run = promisify(execFile);
const ARTIFACTS = join(ROOT, 'test-artifacts', 'report-monthly');
const TOWN_A = '440118001';
const TOWN_B = '440118100';

/**
 * `npm run report:monthly -- 2026-10` as an operator runs it (the built CLI as its own process,
 * against the database of a system that has seeded itself): a PDF with the three charts and their
 * tables for that month, whose figures are those of the raw tables.
 */
describe('monthly statistics report (report:monthly)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  const cli = (args: string[]) =>
    run(process.execPath, [join(ROOT, 'dist/db/cli/report-monthly.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, ...TEST_SECRETS },
    }).then(
      (result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr,
      }),
    );

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase('report_monthly');
    // The system seeds the district, its 366 committees, their seals and the certificate types.
    const system = await startSystem({ DATABASE_URL: db.url });
    await system.stop();
    ds = await new DataSource(
      buildDataSourceOptions(
        { mode: 'server', url: db.url, poolSize: 2, migrateOnStart: false, seedOnStart: false },
        schema,
      ),
    ).initialize();
    const committees: { id: string }[] = await ds.query(
      `SELECT c.id FROM organizations c JOIN organizations t ON t.id = c.parent_id
        WHERE c.level = 'committee' AND t.code IN ($1, $2) AND right(c.code, 3) IN ('001', '002', '003', '004')`,
      [TOWN_A, TOWN_B],
    );
    await writeRandomHistory(ds, {
      seed: 10,
      applications: 300,
      committeeIds: committees.map((c) => c.id),
      start: new Date('2025-09-01T00:00:00+08:00'),
      spanDays: 450,
    });
  }, 240_000);
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('writes a PDF with the three charts as images and their tables, which qpdf finds sound', async () => {
    const file = join(ARTIFACTS, 'zhengming-monthly-2026-10.pdf');
    const result = await cli(['2026-10', '--out', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    // The roll-ups were never refreshed since the history was written: the CLI brings them up to
    // date first, so its figures are the raw tables'.
    const [raw] = await ds.query(
      `SELECT (SELECT count(*)::int FROM certificates WHERE status <> 'pending'
                 AND issued_at >= '2026-10-01T00:00:00+08:00' AND issued_at < '2026-11-01T00:00:00+08:00') AS issued,
              (SELECT count(*)::int FROM applications WHERE submitted_at >= '2026-10-01T00:00:00+08:00'
                 AND submitted_at < '2026-11-01T00:00:00+08:00') AS submitted`,
    );
    expect(raw.issued).toBeGreaterThan(5);
    expect(result.stdout).toContain(
      `written ${file}: 增城区（全区） 2026-10-01..2026-10-31, ${raw.submitted} applications, ${raw.issued} certificates`,
    );
    expect(statSync(file).size).toBeGreaterThan(50_000);

    const { stdout: images } = await run('pdfimages', ['-list', file]);
    const pictures = images
      .split('\n')
      .slice(2)
      .filter((line) => line.trim() !== '')
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[2] === 'image');
    expect(pictures).toHaveLength(3);
    for (const cols of pictures) expect(cols.slice(3, 5)).toEqual(['2400', '1360']);
    await expect(qpdfCheck(file)).resolves.toContain('No syntax or stream encoding errors found');

    const text = (await pdfText(file)).replace(/[ \t]+/g, ' ');
    expect(text).toContain('增城区基层证明电子化统计月报（2026年10月）');
    for (const heading of [
      '1. 开具情况',
      '2. 村居分布与用印',
      '3. 办理效率与社会化应用',
      '未出具证明的村居',
      '核验情况',
    ]) {
      expect(text).toContain(heading);
    }
    expect(text).toMatch(new RegExp(`合计 ${raw.submitted} ${raw.issued} `));
  }, 120_000);

  it('narrows to a town with --town, and refuses a month that is not one', async () => {
    const file = join(ARTIFACTS, 'zhengming-monthly-2026-10-town.pdf');
    const town = await cli(['2026-10', '--town', TOWN_A, '--out', file]);
    expect(town.code).toBe(0);
    expect(town.stdout).toContain('荔城街道 2026-10-01..2026-10-31');
    expect(await pdfText(file)).toContain('统计范围：荔城街道');

    const bad = await cli(['2026-13']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('npm run report:monthly -- <YYYY-MM>');
  }, 60_000);
});
