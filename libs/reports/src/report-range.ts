import { ReportErrorCode, ReportException } from './reports.exception';

/** A calendar day in Asia/Shanghai, `YYYY-MM-DD`. */
export type PlainDate = string;

export type Granularity = 'day' | 'week' | 'month';

export interface ReportRange {
  from: PlainDate;
  to: PlainDate;
}

/** The longest range a report covers: three years, the depth of the district's evaluation. */
export const MAX_RANGE_DAYS = 3 * 366;
/** Up to a month a report shows days, up to half a year weeks (starting Monday), beyond that months. */
const DAYS_UP_TO = 31;
const WEEKS_UP_TO = 184;

const DAY_MS = 86_400_000;

function toTime(date: PlainDate): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}

function fromTime(time: number): PlainDate {
  return new Date(time).toISOString().slice(0, 10);
}

function isCalendarDate(date: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && fromTime(toTime(date)) === date;
}

export function addDays(date: PlainDate, days: number): PlainDate {
  return fromTime(toTime(date) + days * DAY_MS);
}

export function daysBetween(from: PlainDate, to: PlainDate): number {
  return Math.round((toTime(to) - toTime(from)) / DAY_MS);
}

export function monthOf(date: PlainDate): PlainDate {
  return `${date.slice(0, 7)}-01`;
}

/** The first day of the month after `date`'s. */
export function nextMonth(date: PlainDate): PlainDate {
  const d = new Date(toTime(monthOf(date)));
  return fromTime(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

/** The Monday of `date`'s week. */
export function weekOf(date: PlainDate): PlainDate {
  const weekday = (new Date(toTime(date)).getUTCDay() + 6) % 7;
  return addDays(date, -weekday);
}

/** The same day a year earlier; 29 February becomes the 28th. */
export function yearEarlier(date: PlainDate): PlainDate {
  const year = String(Number(date.slice(0, 4)) - 1).padStart(4, '0');
  const candidate = `${year}${date.slice(4)}`;
  return isCalendarDate(candidate) ? candidate : `${year}-02-28`;
}

/** Checks a requested range: real dates, from ≤ to, at most MAX_RANGE_DAYS. */
export function checkedRange(from: string, to: string): ReportRange {
  if (!isCalendarDate(from) || !isCalendarDate(to)) {
    throw new ReportException(ReportErrorCode.RangeInvalid, { from, to });
  }
  if (from > to) throw new ReportException(ReportErrorCode.RangeInvalid, { from, to });
  if (daysBetween(from, to) + 1 > MAX_RANGE_DAYS) {
    throw new ReportException(ReportErrorCode.RangeTooLong, { from, to, maxDays: MAX_RANGE_DAYS });
  }
  return { from, to };
}

/** Without dates: the twelve months up to `today`, from the first of the month eleven months back. */
export function defaultRange(today: PlainDate): ReportRange {
  let from = monthOf(today);
  for (let i = 0; i < 11; i++) from = monthOf(addDays(from, -1));
  return { from, to: today };
}

export function granularityOf(range: ReportRange): Granularity {
  const days = daysBetween(range.from, range.to) + 1;
  if (days <= DAYS_UP_TO) return 'day';
  if (days <= WEEKS_UP_TO) return 'week';
  return 'month';
}

/** The label of the bucket a day falls in: the day, its week's Monday, or `YYYY-MM`. */
export function bucketOf(day: PlainDate, granularity: Granularity): string {
  if (granularity === 'day') return day;
  if (granularity === 'week') return weekOf(day);
  return day.slice(0, 7);
}

/**
 * Where a range's figures are read: whole months from the monthly roll-ups, the days of a month the
 * range covers only in part from the daily ones. A year costs twelve month rows per cell, not 365.
 */
export interface RangePlan {
  /** Inclusive day spans read from the daily tables (at most two: the partial first and last month). */
  days: ReportRange[];
  /** Inclusive span of month starts read from the monthly tables, or null. */
  months: ReportRange | null;
}

export function planRange(range: ReportRange): RangePlan {
  const days: ReportRange[] = [];
  let firstFull = monthOf(range.from);
  if (range.from !== firstFull) {
    const endOfMonth = addDays(nextMonth(range.from), -1);
    days.push({ from: range.from, to: endOfMonth < range.to ? endOfMonth : range.to });
    firstFull = nextMonth(range.from);
  }
  const lastMonth = monthOf(range.to);
  const lastIsFull = addDays(range.to, 1) === nextMonth(range.to);
  let lastFull = lastIsFull ? lastMonth : null;
  if (!lastIsFull && lastMonth >= firstFull) {
    days.push({ from: lastMonth, to: range.to });
    lastFull = lastMonth === firstFull ? null : monthOf(addDays(lastMonth, -1));
  }
  const months = lastFull !== null && firstFull <= lastFull ? { from: firstFull, to: lastFull } : null;
  return { days, months };
}

/**
 * percentile_disc over a histogram of whole hours, with PostgreSQL's rule (the first value whose
 * running count reaches ceil(p × n)), so it equals the database's answer over the raw rows.
 */
export function percentileOf(histogram: readonly { hours: number; count: number }[], p: number): number | null {
  const sorted = [...histogram].sort((a, b) => a.hours - b.hours);
  const n = sorted.reduce((sum, b) => sum + b.count, 0);
  if (n === 0) return null;
  const rank = p === 0 ? 1 : Math.ceil(p * n);
  let seen = 0;
  for (const bucket of sorted) {
    seen += bucket.count;
    if (seen >= rank) return bucket.hours;
  }
  return sorted[sorted.length - 1].hours;
}
