import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { StaffRole, type PersonPrincipal } from '@zhengming/identity';
import { ReportRefreshService, ReportsService, addDays, nextMonth, renderMonthlyReport } from '@zhengming/reports';
import { runWithDataSource } from './with-data-source';

const USAGE =
  '用法 usage: npm run report:monthly -- <YYYY-MM> [--out <file.pdf>] [--town <9-digit code>] [--committee <12-digit code>]\n';

/**
 * `npm run report:monthly -- 2026-10`: the district's monthly statistics report as a PDF, the three
 * reports' charts and tables for that calendar month (Beijing time), read from the roll-ups after
 * bringing them up to date. `--town` or `--committee` narrow it as the dashboard's filters do.
 */
void runWithDataSource(async (dataSource) => {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const month = args.positionals[0];
  if (!month || !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const out = args.values.out ?? `zhengming-monthly-${month}.pdf`;

  // The refresh normally runs every REPORTS_REFRESH_SECONDS in the worker; a report printed now
  // should hold what happened until now. Another process holding the lock is refreshing already.
  const refresher = new ReportRefreshService(dataSource);
  for (let attempt = 0; attempt < 50 && !(await refresher.refresh()).ran; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const [district] = (await dataSource.query(
    `SELECT id, code, name, level, parent_id AS "parentId" FROM organizations WHERE level = 'district' LIMIT 1`,
  )) as { id: string; code: string; name: string; level: 'district'; parentId: null }[];
  if (!district) {
    process.stderr.write('数据库中没有区级机构 no district in the database: start the system once to seed it\n');
    return 1;
  }
  // The report is the district's: it is read with the district admin's reach.
  const principal: PersonPrincipal = {
    kind: 'person',
    personId: 'report-monthly',
    sessionId: 'report-monthly',
    roles: [{ id: 'report-monthly', role: StaffRole.Admin, organization: { ...district, parent: null } }],
  };
  const reports = new ReportsService(dataSource);
  const from = `${month}-01`;
  const to = addDays(nextMonth(from), -1);
  const scope = await reports.scope(
    principal,
    { from, to, town: args.values.town, committee: args.values.committee },
    to,
  );
  const [issuance, committees, efficiency] = await Promise.all([
    reports.issuance(scope),
    reports.committees(scope),
    reports.efficiency(scope),
  ]);
  const scopeName = scope.committee
    ? `${scope.committees[0]?.town.name ?? ''} · ${scope.committee.name}`
    : (scope.town?.name ?? `${district.name}（全区）`);
  const pdf = await renderMonthlyReport({
    month,
    scopeName,
    generatedAt: new Date(),
    issuance,
    committees,
    efficiency,
  });
  await writeFile(out, pdf);
  process.stdout.write(
    `已生成 written ${out}: ${scopeName} ${from}..${to}, ${issuance.totals.applications} applications, ` +
      `${issuance.totals.certificates} certificates, ${efficiency.verifications.totals.total} verifications, ${pdf.length} bytes\n`,
  );
  return 0;
});

function parse() {
  return parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { out: { type: 'string' }, town: { type: 'string' }, committee: { type: 'string' } },
  });
}
