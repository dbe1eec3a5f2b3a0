import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { StaffRole, type PersonPrincipal } from '@zhengming/identity';
import {
  addDays,
  bucketOf,
  checkedRange,
  defaultRange,
  granularityOf,
  percentileOf,
  planRange,
  yearEarlier,
  type Granularity,
  type PlainDate,
  type ReportRange,
} from './report-range';
import { VERIFIER_SECTORS, type VerifierSectorOrAnonymous } from '@zhengming/verification';
import { ReportErrorCode, ReportException } from './reports.exception';

export interface ReportFilter {
  from?: string;
  to?: string;
  /** Town (镇街) code, 9 digits. */
  town?: string;
  /** Committee code, 12 digits. */
  committee?: string;
  /** Certificate type code. */
  type?: string;
}

export interface NamedRef {
  code: string;
  name: string;
}

interface Organization {
  id: string;
  code: string;
  name: string;
  level: 'district' | 'town' | 'committee';
  parentId: string | null;
  active: boolean;
}

/** What a report covers once the caller's reach and the filters are applied. */
export interface ReportScope {
  range: ReportRange;
  town: NamedRef | null;
  committee: NamedRef | null;
  type: NamedRef | null;
  /** The committees whose figures count; null: the whole district (and checks that found no certificate). */
  committeeIds: string[] | null;
  /** The active committees in scope, with their towns: the committees report lists them. */
  committees: (NamedRef & { id: string; town: NamedRef })[];
  types: NamedRef[];
}

export interface IssuanceReport {
  range: ReportRange;
  granularity: Granularity;
  filters: { town: NamedRef | null; committee: NamedRef | null; type: NamedRef | null };
  /** Per bucket (a day, a week's Monday, or YYYY-MM) and type, every bucket of the range listed. */
  series: { period: string; typeCode: string; typeName: string; applications: number; certificates: number }[];
  byType: {
    typeCode: string;
    typeName: string;
    applications: number;
    certificates: number;
    previousApplications: number;
    previousCertificates: number;
    applicationsChange: number | null;
    certificatesChange: number | null;
  }[];
  totals: {
    applications: number;
    certificates: number;
    previousApplications: number;
    previousCertificates: number;
    applicationsChange: number | null;
    certificatesChange: number | null;
  };
  previousRange: ReportRange;
}

export interface CommitteeFigures {
  code: string;
  name: string;
  townCode: string;
  townName: string;
  certificates: number;
  sealUses: number;
}

export interface CommitteesReport {
  range: ReportRange;
  filters: { town: NamedRef | null; committee: NamedRef | null; type: NamedRef | null };
  /** Every committee in scope, most certificates first. */
  committees: (CommitteeFigures & { rank: number })[];
  towns: {
    code: string;
    name: string;
    committees: number;
    committeesIssuing: number;
    share: number | null;
    certificates: number;
    sealUses: number;
  }[];
  coverage: { committees: number; committeesIssuing: number; share: number | null };
  /** The committees in scope that issued no certificate in the range: what a town supervisor acts on. */
  withoutCertificates: Omit<CommitteeFigures, 'certificates' | 'sealUses'>[];
}

export interface EfficiencyReport {
  range: ReportRange;
  filters: { town: NamedRef | null; committee: NamedRef | null; type: NamedRef | null };
  processing: { certificates: number; medianHours: number | null; p90Hours: number | null };
  withinLimit: { certificates: number; share: number | null };
  supplements: {
    certificatesWithSupplement: number;
    share: number | null;
    rounds: number;
    averageRounds: number | null;
  };
  rejections: { rejected: number; decided: number; rate: number | null };
  verifications: {
    sectors: { code: VerifierSectorOrAnonymous; name: string }[];
    months: ({ month: string; total: number } & Record<VerifierSectorOrAnonymous, number>)[];
    totals: { total: number } & Record<VerifierSectorOrAnonymous, number>;
  };
}

export const SECTOR_NAMES: Readonly<Record<VerifierSectorOrAnonymous, string>> = {
  government: '政府部门',
  bank: '银行',
  school: '学校',
  other: '其他机构',
  anonymous: '匿名核验',
};

type Row = Record<string, string | number>;

/** Ratios are shown to four decimals (0.1234 = 12.34 %); null where the denominator is zero. */
function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

function change(current: number, previous: number): number | null {
  return previous === 0 ? null : Math.round(((current - previous) / previous) * 10_000) / 10_000;
}

/**
 * The three statistics reports, read from the roll-ups (report.entities.ts), never from the raw
 * tables: whole months from the monthly rows, partial months from the daily ones (planRange).
 */
@Injectable()
export class ReportsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The caller's reach, narrowed by the filters. The district admin reaches everything, a town
   * supervisor their town, a clerk or approver their committee; a filter beyond that is refused
   * (never answered with figures), whatever else is combined with it.
   */
  async scope(principal: PersonPrincipal, filter: ReportFilter, today: PlainDate): Promise<ReportScope> {
    const range =
      filter.from || filter.to
        ? checkedRange(filter.from ?? filter.to!, filter.to ?? filter.from!)
        : defaultRange(today);
    const organizations: Organization[] = await this.dataSource.query(
      `SELECT id, code, name, level, parent_id AS "parentId", active FROM organizations`,
    );
    const types: NamedRef[] = await this.dataSource.query(
      `SELECT t.code, v.name FROM certificate_types t
         JOIN certificate_type_versions v ON v.type_id = t.id AND v.version = t.active_version ORDER BY t.code`,
    );
    const byId = new Map(organizations.map((o) => [o.id, o]));
    const isAdmin = principal.roles.some((g) => g.role === StaffRole.Admin);
    const towns = new Set(principal.roles.filter((g) => g.role === StaffRole.Supervisor).map((g) => g.organization.id));
    const own = new Set(
      principal.roles
        .filter((g) => g.role === StaffRole.Clerk || g.role === StaffRole.Approver)
        .map((g) => g.organization.id),
    );
    const reaches = (c: Organization) => isAdmin || towns.has(c.parentId ?? '') || own.has(c.id);

    let town: Organization | undefined;
    if (filter.town !== undefined) {
      town = organizations.find((o) => o.code === filter.town && o.level === 'town');
      if (!town) throw new ReportException(ReportErrorCode.OrganizationUnknown, { town: filter.town });
      if (!isAdmin && !towns.has(town.id)) throw new ReportException(ReportErrorCode.OutOfScope, { town: filter.town });
    }
    let committee: Organization | undefined;
    if (filter.committee !== undefined) {
      committee = organizations.find((o) => o.code === filter.committee && o.level === 'committee');
      if (!committee) throw new ReportException(ReportErrorCode.OrganizationUnknown, { committee: filter.committee });
      if (!reaches(committee)) throw new ReportException(ReportErrorCode.OutOfScope, { committee: filter.committee });
      if (town && committee.parentId !== town.id) {
        throw new ReportException(ReportErrorCode.CommitteeNotInTown, {
          town: filter.town,
          committee: filter.committee,
        });
      }
    }
    let type: NamedRef | undefined;
    if (filter.type !== undefined) {
      type = types.find((t) => t.code === filter.type);
      if (!type) throw new ReportException(ReportErrorCode.TypeUnknown, { type: filter.type });
    }

    const inScope = organizations.filter(
      (o) =>
        o.level === 'committee' && (committee ? o.id === committee.id : town ? o.parentId === town.id : reaches(o)),
    );
    if (inScope.length === 0) throw new ReportException(ReportErrorCode.OutOfScope, {});
    const ref = (o: Organization): NamedRef => ({ code: o.code, name: o.name });
    return {
      range,
      town: town ? ref(town) : null,
      committee: committee ? ref(committee) : null,
      type: type ?? null,
      committeeIds: isAdmin && !town && !committee ? null : inScope.map((o) => o.id),
      committees: inScope
        .filter((o) => o.active)
        .map((o) => ({ id: o.id, ...ref(o), town: ref(byId.get(o.parentId ?? '') ?? o) })),
      types,
    };
  }

  async issuance(scope: ReportScope): Promise<IssuanceReport> {
    const granularity = granularityOf(scope.range);
    const types = scope.type ? [scope.type] : scope.types;
    const sums = ['submitted', 'issued'];
    const [rows, current, previous] = await Promise.all([
      this.read('counts', scope, scope.range, granularity === 'month' ? 'month' : 'day', ['type_code'], sums),
      this.read('counts', scope, scope.range, 'none', ['type_code'], sums),
      this.read('counts', scope, previousRange(scope.range), 'none', ['type_code'], sums),
    ]);
    const buckets = bucketsOf(scope.range, granularity);
    const series = new Map<string, { applications: number; certificates: number }>();
    for (const row of rows) {
      const key = `${bucketOf(String(row.period), granularity)}|${row.type_code}`;
      const cell = series.get(key) ?? { applications: 0, certificates: 0 };
      cell.applications += Number(row.submitted);
      cell.certificates += Number(row.issued);
      series.set(key, cell);
    }
    const total = (rows: Row[], code: string | null, column: string) =>
      rows.filter((r) => code === null || r.type_code === code).reduce((s, r) => s + Number(r[column]), 0);
    const figures = (code: string | null) => {
      const applications = total(current, code, 'submitted');
      const certificates = total(current, code, 'issued');
      const previousApplications = total(previous, code, 'submitted');
      const previousCertificates = total(previous, code, 'issued');
      return {
        applications,
        certificates,
        previousApplications,
        previousCertificates,
        applicationsChange: change(applications, previousApplications),
        certificatesChange: change(certificates, previousCertificates),
      };
    };
    return {
      range: scope.range,
      granularity,
      filters: filtersOf(scope),
      series: buckets.flatMap((period) =>
        types.map((t) => ({
          period,
          typeCode: t.code,
          typeName: t.name,
          ...(series.get(`${period}|${t.code}`) ?? { applications: 0, certificates: 0 }),
        })),
      ),
      byType: types.map((t) => ({ typeCode: t.code, typeName: t.name, ...figures(t.code) })),
      totals: figures(null),
      previousRange: previousRange(scope.range),
    };
  }

  async committees(scope: ReportScope): Promise<CommitteesReport> {
    const rows = await this.read('counts', scope, scope.range, 'none', ['committee_id'], ['issued', 'seal_uses']);
    const byCommittee = new Map(rows.map((r) => [String(r.committee_id), r]));
    const figures: CommitteeFigures[] = scope.committees.map((c) => ({
      code: c.code,
      name: c.name,
      townCode: c.town.code,
      townName: c.town.name,
      certificates: Number(byCommittee.get(c.id)?.issued ?? 0),
      sealUses: Number(byCommittee.get(c.id)?.seal_uses ?? 0),
    }));
    const ranked = [...figures].sort((a, b) => b.certificates - a.certificates || a.code.localeCompare(b.code));
    const towns = new Map<string, CommitteesReport['towns'][number]>();
    for (const c of figures) {
      const town = towns.get(c.townCode) ?? {
        code: c.townCode,
        name: c.townName,
        committees: 0,
        committeesIssuing: 0,
        share: null,
        certificates: 0,
        sealUses: 0,
      };
      town.committees += 1;
      town.committeesIssuing += c.certificates > 0 ? 1 : 0;
      town.certificates += c.certificates;
      town.sealUses += c.sealUses;
      town.share = ratio(town.committeesIssuing, town.committees);
      towns.set(c.townCode, town);
    }
    const issuing = figures.filter((c) => c.certificates > 0).length;
    return {
      range: scope.range,
      filters: filtersOf(scope),
      committees: ranked.map((c, i) => ({ rank: i + 1, ...c })),
      towns: [...towns.values()].sort((a, b) => a.code.localeCompare(b.code)),
      coverage: { committees: figures.length, committeesIssuing: issuing, share: ratio(issuing, figures.length) },
      withoutCertificates: figures
        .filter((c) => c.certificates === 0)
        .sort((a, b) => a.code.localeCompare(b.code))
        .map(({ code, name, townCode, townName }) => ({ code, name, townCode, townName })),
    };
  }

  async efficiency(scope: ReportScope): Promise<EfficiencyReport> {
    const [counts, histogram, checks] = await Promise.all([
      this.read(
        'counts',
        scope,
        scope.range,
        'none',
        [],
        ['issued', 'issued_within_limit', 'issued_with_supplement', 'supplement_rounds', 'rejected'],
      ),
      this.read('processing', scope, scope.range, 'none', ['hours'], ['count']),
      this.read('verifications', scope, scope.range, 'month', ['sector'], ['count']),
    ]);
    const c = counts[0] ?? {};
    const n = (column: string) => Number(c[column] ?? 0);
    const buckets = histogram.map((h) => ({ hours: Number(h.hours), count: Number(h.count) }));
    const zero = () =>
      Object.fromEntries(VERIFIER_SECTORS.map((s) => [s, 0])) as Record<VerifierSectorOrAnonymous, number>;
    const months = bucketsOf(scope.range, 'month').map((month) => ({ month, total: 0, ...zero() }));
    const totals = { total: 0, ...zero() };
    for (const row of checks) {
      const month = months.find((m) => m.month === row.period);
      const sector = row.sector as VerifierSectorOrAnonymous;
      if (!month) continue;
      month[sector] += Number(row.count);
      month.total += Number(row.count);
      totals[sector] += Number(row.count);
      totals.total += Number(row.count);
    }
    const decided = n('issued') + n('rejected');
    return {
      range: scope.range,
      filters: filtersOf(scope),
      processing: {
        certificates: n('issued'),
        medianHours: percentileOf(buckets, 0.5),
        p90Hours: percentileOf(buckets, 0.9),
      },
      withinLimit: { certificates: n('issued_within_limit'), share: ratio(n('issued_within_limit'), n('issued')) },
      supplements: {
        certificatesWithSupplement: n('issued_with_supplement'),
        share: ratio(n('issued_with_supplement'), n('issued')),
        rounds: n('supplement_rounds'),
        averageRounds: ratio(n('supplement_rounds'), n('issued')),
      },
      rejections: { rejected: n('rejected'), decided, rate: ratio(n('rejected'), decided) },
      verifications: {
        sectors: VERIFIER_SECTORS.map((code) => ({ code, name: SECTOR_NAMES[code] })),
        months,
        totals,
      },
    };
  }

  /**
   * Sums of roll-up columns over a range, grouped by `keys` and by period (`day`: YYYY-MM-DD from the
   * daily rows; `month`: YYYY-MM, whole months from the monthly rows; `none`: the range as one).
   */
  private async read(
    family: 'counts' | 'processing' | 'verifications',
    scope: ReportScope,
    range: ReportRange,
    period: 'day' | 'month' | 'none',
    keys: string[],
    sums: string[],
  ): Promise<Row[]> {
    // District-wide, months of histograms and checks come from the tables without the committee.
    const district = scope.committeeIds === null;
    const tables = {
      counts: ['report_daily', 'report_monthly'],
      processing: [
        'report_processing_daily',
        district ? 'report_processing_district_monthly' : 'report_processing_monthly',
      ],
      verifications: [
        'report_verifications_daily',
        district ? 'report_verifications_district_monthly' : 'report_verifications_monthly',
      ],
    }[family];
    const plan = period === 'day' ? { days: [range], months: null } : planRange(range);
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const filters: string[] = [];
    if (scope.committeeIds) filters.push(`committee_id = ANY(${param(scope.committeeIds)}::uuid[])`);
    if (scope.type) filters.push(`type_code = ${param(scope.type.code)}`);
    const columns = [...keys, ...sums].join(', ');
    const parts: string[] = [];
    if (plan.days.length > 0) {
      const spans = plan.days.map((d) => `day BETWEEN ${param(d.from)}::date AND ${param(d.to)}::date`).join(' OR ');
      const label = period === 'day' ? `to_char(day, 'YYYY-MM-DD')` : `to_char(day, 'YYYY-MM')`;
      parts.push(
        `SELECT ${label} AS period, ${columns} FROM ${tables[0]} WHERE (${spans})${filters.map((f) => ` AND ${f}`).join('')}`,
      );
    }
    if (plan.months) {
      parts.push(
        `SELECT to_char(month, 'YYYY-MM') AS period, ${columns} FROM ${tables[1]}
          WHERE month BETWEEN ${param(plan.months.from)}::date AND ${param(plan.months.to)}::date${filters.map((f) => ` AND ${f}`).join('')}`,
      );
    }
    if (parts.length === 0) return [];
    const groups = [...(period === 'none' ? [] : ['period']), ...keys];
    const select = [...groups, ...sums.map((s) => `sum(${s})::bigint AS ${s}`)].join(', ');
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${select} FROM (${parts.join(' UNION ALL ')}) figures${groups.length ? ` GROUP BY ${groups.join(', ')}` : ''}`,
      params,
    );
    return rows;
  }
}

function filtersOf(scope: ReportScope) {
  return { town: scope.town, committee: scope.committee, type: scope.type };
}

function previousRange(range: ReportRange): ReportRange {
  return { from: yearEarlier(range.from), to: yearEarlier(range.to) };
}

/** Every bucket label of a range in order, empty ones included, so a chart has no gaps. */
function bucketsOf(range: ReportRange, granularity: Granularity): string[] {
  const labels: string[] = [];
  for (let day = range.from; day <= range.to;) {
    const label = bucketOf(day, granularity);
    if (labels[labels.length - 1] !== label) labels.push(label);
    day = addDays(day, 1);
  }
  return labels;
}
