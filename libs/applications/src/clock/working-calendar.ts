/**
 * A calendar date as people in the district read it, `YYYY-MM-DD`, with no time and no zone. Time
 * limits are counted in whole days of Beijing time; an instant becomes one through `shanghaiDate`.
 */
export type PlainDate = string;

export type CalendarDayKind = 'holiday' | 'workday';

/**
 * One day the State Council's holiday notice moves off the ordinary Monday–Friday week: a day off
 * (`holiday`, weekend days inside a holiday block included) or a weekend day worked instead
 * (`workday`, 调休上班).
 */
export interface CalendarDay {
  date: PlainDate;
  kind: CalendarDayKind;
  name: string;
}

/**
 * One year's notice as stored in `db/seeds/calendar/<year>.json`. The fields are typed loosely
 * because they come from a file: `calendarFromData` checks them.
 */
export interface CalendarYearData {
  year: number;
  source?: string;
  days: readonly { date: string; kind: string; name: string }[];
}

const MS_PER_DAY = 86_400_000;
const PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CALENDAR_DAY_KINDS: readonly string[] = ['holiday', 'workday'] satisfies CalendarDayKind[];
const SATURDAY = 6;
const SUNDAY = 0;

export function isPlainDate(text: unknown): text is PlainDate {
  if (typeof text !== 'string') return false;
  const match = PLAIN_DATE.exec(text);
  if (!match) return false;
  const [, year, month, day] = match.map(Number);
  // The round trip rejects 2026-02-30 (Date.UTC rolls it over) and years below 100 (Date.UTC maps them to 19xx).
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10) === text;
}

/** Returns the text as a plain date, or throws naming it when it is not a real `YYYY-MM-DD` date. */
export function parsePlainDate(text: string): PlainDate {
  if (!isPlainDate(text)) throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${JSON.stringify(text)}`);
  return text;
}

function epochDay(date: PlainDate): number {
  return Date.parse(`${parsePlainDate(date)}T00:00:00Z`) / MS_PER_DAY;
}

function fromEpochDay(day: number): PlainDate {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
function weekday(day: number): number {
  return new Date(day * MS_PER_DAY).getUTCDay();
}

function isWeekend(day: number): boolean {
  const dow = weekday(day);
  return dow === SATURDAY || dow === SUNDAY;
}

const shanghaiFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The date in Beijing time at the given instant: a submission at 00:30 Beijing time counts from that day. */
export function shanghaiDate(instant: Date): PlainDate {
  const parts = Object.fromEntries(shanghaiFormat.formatToParts(instant).map((p) => [p.type, p.value]));
  return parsePlainDate(`${parts.year}-${parts.month}-${parts.day}`);
}

/**
 * Working days in mainland China: Monday to Friday unless the notice gives the day off, and Saturday
 * or Sunday only when the notice makes it a working day. Years without a notice fall back to the
 * plain week; `knows` tells the caller whether a year's notice was loaded.
 */
export class WorkingCalendar {
  private readonly holidays: ReadonlySet<PlainDate>;
  private readonly workdays: ReadonlySet<PlainDate>;
  private readonly years: ReadonlySet<number>;

  /** Trusts its input; data from a file goes through `calendarFromData`. */
  constructor(days: readonly CalendarDay[], knownYears: readonly number[]) {
    this.holidays = new Set(days.filter((d) => d.kind === 'holiday').map((d) => d.date));
    this.workdays = new Set(days.filter((d) => d.kind === 'workday').map((d) => d.date));
    this.years = new Set(knownYears);
  }

  isWorkingDay(date: PlainDate): boolean {
    return this.isWorkingEpochDay(epochDay(date));
  }

  /** The n-th working day strictly after `date`; `date` itself when n is 0. */
  addWorkingDays(date: PlainDate, n: number): PlainDate {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Working days to add must be a whole number ≥ 0: ${n}`);
    let day = epochDay(date);
    for (let counted = 0; counted < n;) {
      day += 1;
      if (this.isWorkingEpochDay(day)) counted += 1;
    }
    return fromEpochDay(day);
  }

  /** Working days d with fromExclusive < d ≤ toInclusive; 0 when toInclusive is not after fromExclusive. */
  workingDaysBetween(fromExclusive: PlainDate, toInclusive: PlainDate): number {
    const to = epochDay(toInclusive);
    let count = 0;
    for (let day = epochDay(fromExclusive) + 1; day <= to; day += 1) if (this.isWorkingEpochDay(day)) count += 1;
    return count;
  }

  knows(year: number): boolean {
    return this.years.has(year);
  }

  private isWorkingEpochDay(day: number): boolean {
    const date = fromEpochDay(day);
    if (this.holidays.has(date)) return false;
    return !isWeekend(day) || this.workdays.has(date);
  }
}

export class CalendarDataError extends Error {
  override readonly name = 'CalendarDataError';
}

/**
 * Builds the calendar from the yearly notices, rejecting the whole set on the first bad entry: a
 * wrong day would silently shift every promised date that crosses it.
 */
export function calendarFromData(files: readonly CalendarYearData[]): WorkingCalendar {
  const days: CalendarDay[] = [];
  const years: number[] = [];
  const seen = new Map<PlainDate, string>();
  for (const file of files) {
    if (!Number.isInteger(file.year)) throw new CalendarDataError(`工作日历年份无效：${JSON.stringify(file.year)}`);
    if (years.includes(file.year)) throw new CalendarDataError(`工作日历 ${file.year} 年重复提供`);
    years.push(file.year);
    if (!Array.isArray(file.days)) throw new CalendarDataError(`工作日历 ${file.year} 年缺少 days 列表`);
    file.days.forEach((entry, index) => {
      const where = `工作日历 ${file.year} 年第 ${index + 1} 条（${JSON.stringify(entry)}）`;
      if (!isPlainDate(entry?.date)) throw new CalendarDataError(`${where}：日期不是有效的 YYYY-MM-DD`);
      const [year, month] = entry.date.split('-').map(Number);
      // A notice may open the New Year block in late December of the year before (e.g. 2018-12-30 in the 2019 notice).
      if (year !== file.year && !(year === file.year - 1 && month === 12))
        throw new CalendarDataError(`${where}：日期不属于 ${file.year} 年的节假日安排`);
      if (!CALENDAR_DAY_KINDS.includes(entry.kind))
        throw new CalendarDataError(`${where}：kind 应为 holiday 或 workday`);
      if (typeof entry.name !== 'string' || entry.name.trim() === '') throw new CalendarDataError(`${where}：缺少名称`);
      if (entry.kind === 'workday' && !isWeekend(epochDay(entry.date)))
        throw new CalendarDataError(`${where}：调休上班日必须是周六或周日`);
      const earlier = seen.get(entry.date);
      if (earlier !== undefined) throw new CalendarDataError(`${where}：日期与${earlier}重复`);
      seen.set(entry.date, `工作日历 ${file.year} 年第 ${index + 1} 条`);
      days.push({ date: entry.date, kind: entry.kind as CalendarDayKind, name: entry.name });
    });
  }
  return new WorkingCalendar(days, years);
}
