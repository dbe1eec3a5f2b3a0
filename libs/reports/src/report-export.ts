import { stringify } from 'csv-stringify/sync';
import { Workbook } from 'exceljs';
import type { CommitteesReport, EfficiencyReport, IssuanceReport } from './reports.service';

/** `svg` and `png`: the report's chart, drawn on the server (report-image.ts). */
export const REPORT_FORMATS = ['json', 'csv', 'xlsx', 'svg', 'png'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportColumn {
  header: string;
  /** `ratio`: a fraction shown as a percentage in the workbook (the CSV keeps the fraction). */
  kind?: 'text' | 'number' | 'ratio';
}

/** One table of a report: a sheet of the workbook, a section of the CSV. */
export interface ReportTable {
  title: string;
  columns: ReportColumn[];
  rows: (string | number | null)[][];
}

const text = (header: string): ReportColumn => ({ header, kind: 'text' });
const number = (header: string): ReportColumn => ({ header, kind: 'number' });
const share = (header: string): ReportColumn => ({ header, kind: 'ratio' });

const GRANULARITY_NAMES = { day: '日期', week: '周（起始周一）', month: '月份' } as const;

export function issuanceTables(report: IssuanceReport): ReportTable[] {
  return [
    {
      title: '开具情况',
      columns: [text(GRANULARITY_NAMES[report.granularity]), text('证明类型'), number('申请数'), number('出具数')],
      rows: report.series.map((s) => [s.period, s.typeName, s.applications, s.certificates]),
    },
    {
      title: '分类型合计与同比',
      columns: [
        text('证明类型'),
        number('申请数'),
        number('出具数'),
        number('上年同期申请数'),
        number('上年同期出具数'),
        share('申请数同比'),
        share('出具数同比'),
      ],
      rows: [
        ...report.byType.map((t) => [
          t.typeName,
          t.applications,
          t.certificates,
          t.previousApplications,
          t.previousCertificates,
          t.applicationsChange,
          t.certificatesChange,
        ]),
        [
          '合计',
          report.totals.applications,
          report.totals.certificates,
          report.totals.previousApplications,
          report.totals.previousCertificates,
          report.totals.applicationsChange,
          report.totals.certificatesChange,
        ],
      ],
    },
  ];
}

export function committeesTables(report: CommitteesReport): ReportTable[] {
  return [
    {
      title: '村居排名',
      columns: [
        number('排名'),
        text('镇街'),
        text('村（居）委会'),
        text('机构代码'),
        number('出具证明数'),
        number('用印次数'),
      ],
      rows: report.committees.map((c) => [c.rank, c.townName, c.name, c.code, c.certificates, c.sealUses]),
    },
    {
      title: '镇街汇总',
      columns: [
        text('镇街'),
        text('镇街代码'),
        number('村居数'),
        number('有出具的村居数'),
        share('覆盖率'),
        number('出具证明数'),
        number('用印次数'),
      ],
      rows: [
        ...report.towns.map((t) => [
          t.name,
          t.code,
          t.committees,
          t.committeesIssuing,
          t.share,
          t.certificates,
          t.sealUses,
        ]),
        [
          '合计',
          '',
          report.coverage.committees,
          report.coverage.committeesIssuing,
          report.coverage.share,
          report.towns.reduce((s, t) => s + t.certificates, 0),
          report.towns.reduce((s, t) => s + t.sealUses, 0),
        ],
      ],
    },
    {
      title: '未出具证明的村居',
      columns: [text('镇街'), text('村（居）委会'), text('机构代码')],
      rows: report.withoutCertificates.map((c) => [c.townName, c.name, c.code]),
    },
  ];
}

export function efficiencyTables(report: EfficiencyReport): ReportTable[] {
  const { processing, withinLimit, supplements, rejections, verifications } = report;
  return [
    {
      title: '办理效率',
      columns: [text('指标'), number('数值')],
      rows: [
        ['出具证明数', processing.certificates],
        ['办理时长中位数（小时）', processing.medianHours],
        ['办理时长P90（小时）', processing.p90Hours],
        ['承诺时限内办结数', withinLimit.certificates],
        ['承诺时限内办结率', withinLimit.share],
        ['经补正的证明数', supplements.certificatesWithSupplement],
        ['补正率', supplements.share],
        ['补正总轮次', supplements.rounds],
        ['平均补正轮次', supplements.averageRounds],
        ['不予通过数', rejections.rejected],
        ['办结数（出具＋不予通过）', rejections.decided],
        ['不予通过率', rejections.rate],
      ],
    },
    {
      title: '核验情况',
      columns: [text('月份'), ...verifications.sectors.map((s) => number(s.name)), number('合计')],
      rows: [
        ...verifications.months.map((m) => [m.month, ...verifications.sectors.map((s) => m[s.code]), m.total]),
        ['合计', ...verifications.sectors.map((s) => verifications.totals[s.code]), verifications.totals.total],
      ],
    },
  ];
}

/**
 * CSV for spreadsheets opened by double click: UTF-8 with a byte order mark (Excel reads Chinese
 * right only with it), one section per table: its title alone on a line, the header, the rows, a
 * blank line. Numbers are written as numbers, fractions as fractions.
 */
export function toCsv(tables: ReportTable[]): Buffer {
  const records: (string | number | null)[][] = [];
  tables.forEach((table, i) => {
    if (i > 0) records.push([]);
    records.push([table.title]);
    records.push(table.columns.map((c) => c.header));
    records.push(...table.rows);
  });
  return Buffer.concat([Buffer.from('\ufeff'), Buffer.from(stringify(records, { cast: { number: String } }))]);
}

/** One sheet per table; numbers stay numbers, fractions shown as percentages. */
export async function toXlsx(tables: ReportTable[]): Promise<Buffer> {
  const workbook = new Workbook();
  workbook.creator = '正明 · 电子证明服务系统';
  for (const table of tables) {
    const sheet = workbook.addWorksheet(table.title);
    sheet.columns = table.columns.map((c) => ({
      header: c.header,
      width: Math.max(10, c.header.length * 2 + 2),
      style: c.kind === 'ratio' ? { numFmt: '0.00%' } : {},
    }));
    sheet.getRow(1).font = { bold: true };
    sheet.addRows(table.rows.map((row) => row.map((value) => value ?? null)));
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
