// The statistics dashboard (统计报表): the three reports as the API answers them, the filters a
// signed-in role may use, and the addresses of their exports. The API decides what a caller reaches;
// the filters only offer what its unfiltered answer showed, so nobody is offered a 403.
import { api } from './api';
import type {
  CommitteesChartInput,
  EfficiencyChartInput,
  IssuanceChartInput,
  ReportName,
} from '../../../libs/reports/src/report-charts';

export type { ReportName };

export interface NamedRef {
  code: string;
  name: string;
}

export interface Filters {
  town: NamedRef | null;
  committee: NamedRef | null;
  type: NamedRef | null;
}

export interface IssuanceReport extends IssuanceChartInput {
  filters: Filters;
  byType: {
    typeCode: string;
    typeName: string;
    applications: number;
    certificates: number;
    applicationsChange: number | null;
    certificatesChange: number | null;
  }[];
}

export interface CommitteesReport extends CommitteesChartInput {
  filters: Filters;
  committees: (CommitteesChartInput['committees'][number] & { townCode: string })[];
  towns: (CommitteesChartInput['towns'][number] & { share: number | null; sealUses: number })[];
  withoutCertificates: { code: string; name: string; townCode: string; townName: string }[];
}

export interface EfficiencyReport extends EfficiencyChartInput {
  filters: Filters;
  withinLimit: { certificates: number; share: number | null };
  supplements: {
    certificatesWithSupplement: number;
    share: number | null;
    rounds: number;
    averageRounds: number | null;
  };
  rejections: { rejected: number; decided: number; rate: number | null };
  verifications: EfficiencyChartInput['verifications'] & { totals: { total: number } & Record<string, number> };
}

export interface ReportQuery {
  from: string;
  to: string;
  town: string;
  committee: string;
  type: string;
}

/** Where the caller's figures stop: the district, one town, or one committee. */
export type Reach = 'district' | 'town' | 'committee';

export interface FilterChoices {
  reach: Reach;
  towns: NamedRef[];
  committees: (NamedRef & { townCode: string })[];
  types: NamedRef[];
}

export type ExportFormat = 'csv' | 'xlsx' | 'png';

export const EXPORT_FORMATS: readonly { format: ExportFormat; label: string }[] = [
  { format: 'csv', label: 'CSV' },
  { format: 'xlsx', label: 'Excel' },
  { format: 'png', label: '图片' },
];

/** Today in Beijing time, `YYYY-MM-DD`, whatever the device's time zone. */
export function beijingToday(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now);
}

/** The API's default range: from the first of the month eleven months back to today. */
export function defaultRange(today: string): { from: string; to: string } {
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7)) - 11;
  const start = new Date(Date.UTC(year, month - 1, 1));
  return { from: start.toISOString().slice(0, 10), to: today };
}

/**
 * The query string of a report: only the filters chosen, and never the town or committee a caller is
 * fixed to (a committee's staff naming a town would be refused).
 */
export function reportSearch(query: ReportQuery, choices: FilterChoices | null, format?: ExportFormat): string {
  const search = new URLSearchParams();
  if (query.from) search.set('from', query.from);
  if (query.to) search.set('to', query.to);
  if (query.town && choices?.reach === 'district') search.set('town', query.town);
  if (query.committee && choices?.reach !== 'committee') search.set('committee', query.committee);
  if (query.type) search.set('type', query.type);
  if (format) search.set('format', format);
  return search.toString();
}

export function exportUrl(name: ReportName, query: ReportQuery, choices: FilterChoices | null, format: ExportFormat) {
  return `/api/reports/${name}?${reportSearch(query, choices, format)}`;
}

export const reportsApi = {
  issuance: (search: string) => api.get<IssuanceReport>(`/api/reports/issuance?${search}`),
  committees: (search: string) => api.get<CommitteesReport>(`/api/reports/committees?${search}`),
  efficiency: (search: string) => api.get<EfficiencyReport>(`/api/reports/efficiency?${search}`),
};

/**
 * The filters a caller may use, read from the API's unfiltered answers: the committees report lists
 * every committee the caller reaches (all 366 for the district, a town's for its supervisor, one for
 * a committee's staff), the issuance report every certificate type.
 */
export function choicesOf(isAdmin: boolean, committees: CommitteesReport, issuance: IssuanceReport): FilterChoices {
  const towns = committees.towns.map(({ code, name }) => ({ code, name }));
  const list = committees.committees
    .map(({ code, name, townCode }) => ({ code, name, townCode }))
    .sort((a, b) => a.code.localeCompare(b.code));
  const reach: Reach = isAdmin ? 'district' : list.length === 1 ? 'committee' : 'town';
  return {
    reach,
    towns,
    committees: list,
    types: issuance.byType.map((t) => ({ code: t.typeCode, name: t.typeName })),
  };
}

/** What the page says it covers, e.g. 增城区（全区）, 荔城街道, 荔城街道 · 城南社区居民委员会. */
export function scopeLabel(choices: FilterChoices, query: ReportQuery): string {
  const committee = choices.committees.find((c) => c.code === query.committee);
  const townCode = committee?.townCode ?? (choices.reach === 'district' ? query.town : choices.towns[0]?.code);
  const town = choices.towns.find((t) => t.code === townCode);
  if (committee) return `${town ? `${town.name} · ` : ''}${committee.name}`;
  if (town) return town.name;
  return '增城区（全区）';
}
