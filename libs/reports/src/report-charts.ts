// The charts of the three reports as ECharts options, built from the reports' JSON. One source for
// the dashboard (apps/web imports this file and draws it in the browser) and for the images the API
// and the monthly PDF render on the server, so a chart reads the same wherever it is seen.
// Pure: no Nest, no database, no DOM; the input types are the parts of the reports a chart reads.
import type { EChartsOption } from 'echarts';

export interface IssuanceChartInput {
  range: { from: string; to: string };
  granularity: 'day' | 'week' | 'month';
  series: { period: string; typeCode: string; typeName: string; applications: number; certificates: number }[];
  totals: {
    applications: number;
    certificates: number;
    applicationsChange: number | null;
    certificatesChange: number | null;
  };
}

export interface CommitteesChartInput {
  range: { from: string; to: string };
  committees: { rank: number; code: string; name: string; townName: string; certificates: number; sealUses: number }[];
  towns: { code: string; name: string; committees: number; committeesIssuing: number; certificates: number }[];
  coverage: { committees: number; committeesIssuing: number; share: number | null };
}

export interface EfficiencyChartInput {
  range: { from: string; to: string };
  processing: { certificates: number; medianHours: number | null; p90Hours: number | null };
  withinLimit: { share: number | null };
  supplements: { share: number | null; averageRounds: number | null };
  rejections: { rate: number | null };
  verifications: {
    sectors: { code: string; name: string }[];
    months: ({ month: string; total: number } & Record<string, number | string>)[];
  };
}

export const REPORT_TITLES = {
  issuance: '开具情况',
  committees: '村居分布与用印',
  efficiency: '办理效率与社会化应用',
} as const;

export type ReportName = keyof typeof REPORT_TITLES;

/** How many committees the ranked bar chart shows (the table beside it lists them all). */
export const RANKING_LIMIT = 15;

const PALETTE = ['#1d5bbf', '#c8161d', '#f0a020', '#2e9d6a', '#7d4fc4', '#2aa7c9', '#8c6d46'];
const MUTED = '#6b7785';

/** A committee as a chart labels it: 城南社区居民委员会 → 城南社区, 沙埔村民委员会 → 沙埔村. */
export function shortName(name: string): string {
  return name.replace(/居民委员会$/, '').replace(/村民委员会$/, '村');
}

/** 0.1234 → "12.3%"; a missing ratio (nothing to divide by) → "—". */
export function percentText(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** A year-on-year change with its sign: "+12.3%", "−4.0%", or "—" when last year had none. */
export function changeText(value: number | null): string {
  if (value === null) return '—';
  const text = `${(Math.abs(value) * 100).toFixed(1)}%`;
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

export function hoursText(value: number | null): string {
  return value === null ? '—' : `${value} 小时`;
}

/** A bucket label as a reader says it: 2026-10 → 2026年10月; a week by its Monday; a day as it is. */
export function periodLabel(period: string, granularity: IssuanceChartInput['granularity']): string {
  if (granularity === 'month') return `${period.slice(0, 4)}年${Number(period.slice(5, 7))}月`;
  if (granularity === 'week') return `${period.slice(5)}周`;
  return period.slice(5);
}

export interface ChartLook {
  /** Small screens: fewer labels, legend at the bottom. */
  compact?: boolean;
  /** Server-side images: a title inside the picture, no animation, a font the renderer has. */
  image?: { title: string; subtitle?: string; fontFamily: string };
}

function base(look: ChartLook): EChartsOption {
  return {
    color: PALETTE,
    animation: !look.image,
    backgroundColor: look.image ? '#ffffff' : 'transparent',
    textStyle: look.image ? { fontFamily: look.image.fontFamily } : {},
    title: look.image
      ? {
          text: look.image.title,
          subtext: look.image.subtitle,
          left: 'center',
          top: 8,
          textStyle: { fontSize: 20, fontFamily: look.image.fontFamily },
          subtextStyle: { fontSize: 13, color: MUTED, fontFamily: look.image.fontFamily, lineHeight: 18 },
        }
      : undefined,
  };
}

/** Report 1: certificates issued per type as stacked bars, applications (all types) as a line. */
export function issuanceChartOption(report: IssuanceChartInput, look: ChartLook = {}): EChartsOption {
  const periods = [...new Set(report.series.map((s) => s.period))];
  const types = [...new Map(report.series.map((s) => [s.typeCode, s.typeName])).entries()];
  const cell = new Map(report.series.map((s) => [`${s.period}|${s.typeCode}`, s]));
  const applications = periods.map((p) =>
    types.reduce((sum, [code]) => sum + (cell.get(`${p}|${code}`)?.applications ?? 0), 0),
  );
  const top = look.image ? 96 : 16;
  return {
    ...base(look),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true },
    legend: {
      type: look.image ? 'plain' : 'scroll',
      bottom: 0,
      textStyle: look.image ? { fontFamily: look.image.fontFamily } : {},
    },
    grid: { left: 8, right: 16, top, bottom: look.compact ? 64 : 48, containLabel: true },
    xAxis: {
      type: 'category',
      data: periods.map((p) => periodLabel(p, report.granularity)),
      axisLabel: { hideOverlap: true, color: MUTED },
    },
    yAxis: { type: 'value', name: '件', minInterval: 1, axisLabel: { color: MUTED } },
    series: [
      ...types.map(([code, name]) => ({
        type: 'bar' as const,
        name: `${name}（出具）`,
        stack: 'issued',
        barMaxWidth: 36,
        emphasis: { focus: 'series' as const },
        data: periods.map((p) => cell.get(`${p}|${code}`)?.certificates ?? 0),
      })),
      {
        type: 'line' as const,
        name: '申请数（合计）',
        symbolSize: 6,
        lineStyle: { width: 2, color: '#333' },
        itemStyle: { color: '#333' },
        data: applications,
      },
    ],
  };
}

/** Report 2, left: the committees with the most certificates, first at the top, with their seal uses. */
export function committeeRankingOption(
  report: CommitteesChartInput,
  look: ChartLook = {},
  limit = RANKING_LIMIT,
): EChartsOption {
  const shown = report.committees.slice(0, limit);
  const names = shown.map((c) => shortName(c.name));
  return {
    ...base(look),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true },
    legend: { bottom: 0, data: ['出具证明数', '用印次数'] },
    grid: { left: 8, right: 24, top: look.image ? 96 : 8, bottom: 36, containLabel: true },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { color: MUTED } },
    yAxis: {
      type: 'category',
      inverse: true,
      data: names,
      axisLabel: { color: '#333', width: look.compact ? 84 : 140, overflow: 'truncate' },
    },
    series: [
      { type: 'bar', name: '出具证明数', data: shown.map((c) => c.certificates), barMaxWidth: 14 },
      { type: 'bar', name: '用印次数', data: shown.map((c) => c.sealUses), barMaxWidth: 14 },
    ],
  };
}

/**
 * Report 2, right: a treemap of the towns by certificates issued (a click opens a town's committees),
 * or of the committees when the report covers one town.
 */
export function townTreemapOption(report: CommitteesChartInput, look: ChartLook = {}): EChartsOption {
  const byTown = new Map<string, { name: string; value: number }[]>();
  for (const c of report.committees) {
    if (c.certificates === 0) continue;
    const list = byTown.get(c.townName) ?? [];
    list.push({ name: shortName(c.name), value: c.certificates });
    byTown.set(c.townName, list);
  }
  return {
    ...base(look),
    tooltip: { confine: true, formatter: '{b}：{c} 件' },
    series: [
      {
        type: 'treemap',
        name: report.towns.length === 1 ? report.towns[0].name : '全部镇街',
        roam: false,
        leafDepth: 1,
        top: look.image ? 96 : 8,
        bottom: look.image ? 8 : 32,
        left: 8,
        right: 8,
        breadcrumb: { show: !look.image, bottom: 4 },
        label: { show: true, formatter: '{b}\n{c} 件', fontSize: look.compact ? 11 : 13 },
        upperLabel: { show: false },
        levels: [{ itemStyle: { borderColor: '#fff', borderWidth: 2, gapWidth: 2 } }],
        // One town in view (a supervisor, or a town filter): its committees are the picture.
        data:
          report.towns.length === 1
            ? (byTown.get(report.towns[0].name) ?? [])
            : report.towns
                .filter((t) => t.certificates > 0)
                .map((t) => ({
                  name: t.name,
                  value: t.certificates,
                  children: look.image ? undefined : byTown.get(t.name),
                })),
      },
    ],
  };
}

/** Report 3: verifications per month by verifier sector, stacked. */
export function verificationsChartOption(report: EfficiencyChartInput, look: ChartLook = {}): EChartsOption {
  const { sectors, months } = report.verifications;
  return {
    ...base(look),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true },
    legend: { bottom: 0 },
    grid: { left: 8, right: 16, top: look.image ? 136 : 16, bottom: look.compact ? 56 : 40, containLabel: true },
    xAxis: {
      type: 'category',
      data: months.map((m) => periodLabel(m.month, 'month')),
      axisLabel: { hideOverlap: true, color: MUTED },
    },
    yAxis: { type: 'value', name: '次', minInterval: 1, axisLabel: { color: MUTED } },
    series: sectors.map((s) => ({
      type: 'bar' as const,
      name: s.name,
      stack: 'checks',
      barMaxWidth: 36,
      data: months.map((m) => Number(m[s.code] ?? 0)),
    })),
  };
}

/** The efficiency figures as one line each, for the image's subtitle and the PDF. */
export function efficiencyLines(report: EfficiencyChartInput): string[] {
  return [
    `出具 ${report.processing.certificates} 件 · 办理时长中位数 ${hoursText(report.processing.medianHours)} · P90 ${hoursText(report.processing.p90Hours)}`,
    `承诺时限内办结率 ${percentText(report.withinLimit.share)} · 补正率 ${percentText(report.supplements.share)} · ` +
      `平均补正轮次 ${report.supplements.averageRounds ?? '—'} · 不予通过率 ${percentText(report.rejections.rate)}`,
  ];
}

/** The figure of a report for an image: one picture per report, its title and range inside it. */
export function reportImageOption(name: 'issuance', report: IssuanceChartInput, fontFamily: string): EChartsOption;
export function reportImageOption(name: 'committees', report: CommitteesChartInput, fontFamily: string): EChartsOption;
export function reportImageOption(name: 'efficiency', report: EfficiencyChartInput, fontFamily: string): EChartsOption;
export function reportImageOption(
  name: ReportName,
  report: IssuanceChartInput | CommitteesChartInput | EfficiencyChartInput,
  fontFamily: string,
): EChartsOption {
  const range = `${report.range.from} 至 ${report.range.to}`;
  if (name === 'issuance') {
    const r = report as IssuanceChartInput;
    const subtitle =
      `${range} · 申请 ${r.totals.applications} 件（同比 ${changeText(r.totals.applicationsChange)}）` +
      ` · 出具 ${r.totals.certificates} 件（同比 ${changeText(r.totals.certificatesChange)}）`;
    return issuanceChartOption(r, { image: { title: REPORT_TITLES.issuance, subtitle, fontFamily } });
  }
  if (name === 'committees') {
    const r = report as CommitteesChartInput;
    const subtitle =
      `${range} · ${r.coverage.committees} 个村（居）委会中 ${r.coverage.committeesIssuing} 个有出具` +
      `（${percentText(r.coverage.share)}）· 左：出具数前 ${RANKING_LIMIT} 名 · 右：${r.towns.length === 1 ? '各村（居）委会' : '各镇街'}出具数`;
    const look: ChartLook = { image: { title: REPORT_TITLES.committees, subtitle, fontFamily } };
    const ranking = committeeRankingOption(r, look);
    const treemap = townTreemapOption(r, look);
    const treemapSeries = (treemap.series as object[])[0];
    return {
      ...ranking,
      grid: { left: 8, width: '50%', top: 96, bottom: 36, containLabel: true },
      series: [
        ...(ranking.series as object[]),
        { ...treemapSeries, left: '56%', right: 8, top: 96, bottom: 8 },
      ] as EChartsOption['series'],
    };
  }
  const r = report as EfficiencyChartInput;
  const subtitle = [range, ...efficiencyLines(r), '各类机构核验量（按月）'].join('\n');
  return verificationsChartOption(r, { image: { title: REPORT_TITLES.efficiency, subtitle, fontFamily } });
}
