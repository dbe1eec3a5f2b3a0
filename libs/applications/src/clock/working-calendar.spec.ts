import calendar2025 from '../../../../db/seeds/calendar/2025.json';
import calendar2026 from '../../../../db/seeds/calendar/2026.json';
import {
  CalendarDataError,
  calendarFromData,
  isPlainDate,
  parsePlainDate,
  shanghaiDate,
  WorkingCalendar,
  type CalendarYearData,
} from './working-calendar';

const files: CalendarYearData[] = [calendar2025, calendar2026];
const dayOfWeek = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

describe(WorkingCalendar.name, () => {
  const sut = calendarFromData(files);

  it('skips the weekend: submitted Friday with 3 working days, due the next Wednesday', () => {
    expect(sut.addWorkingDays('2026-11-20', 3)).toBe('2026-11-25');
    expect(sut.isWorkingDay('2026-11-21')).toBe(false);
    expect(sut.isWorkingDay('2026-11-22')).toBe(false);
  });

  it('skips the National Day holiday and counts the make-up Saturday after it', () => {
    for (const date of ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'])
      expect({ date, working: sut.isWorkingDay(date) }).toEqual({ date, working: false });
    expect(sut.isWorkingDay('2026-10-08')).toBe(true);
    expect(sut.isWorkingDay('2026-10-10')).toBe(true);
    expect(sut.addWorkingDays('2026-09-30', 3)).toBe('2026-10-10');
  });

  it('counts a make-up Sunday as a working day, and the Sunday after it as a day off', () => {
    expect(sut.isWorkingDay('2026-01-04')).toBe(true);
    expect(sut.isWorkingDay('2026-01-11')).toBe(false);
    expect(sut.addWorkingDays('2025-12-31', 1)).toBe('2026-01-04');
  });

  it('treats an ordinary weekday inside the Spring Festival block as a day off', () => {
    expect(sut.isWorkingDay('2026-02-18')).toBe(false);
    expect(sut.addWorkingDays('2026-02-13', 1)).toBe('2026-02-14');
    expect(sut.addWorkingDays('2026-02-14', 1)).toBe('2026-02-24');
  });

  it('returns the same day when no working days are added', () => {
    expect(sut.addWorkingDays('2026-10-03', 0)).toBe('2026-10-03');
  });

  it('refuses a negative or fractional number of working days', () => {
    expect(() => sut.addWorkingDays('2026-11-20', -1)).toThrow(RangeError);
    expect(() => sut.addWorkingDays('2026-11-20', 1.5)).toThrow(RangeError);
  });

  it('counts working days after the first date up to and including the second', () => {
    expect(sut.workingDaysBetween('2026-11-20', '2026-11-25')).toBe(3);
    expect(sut.workingDaysBetween('2026-09-30', '2026-10-09')).toBe(2);
    expect(sut.workingDaysBetween('2026-11-20', '2026-11-20')).toBe(0);
    expect(sut.workingDaysBetween('2026-11-25', '2026-11-20')).toBe(0);
  });

  it('knows the years whose holiday notice was loaded, and only those', () => {
    expect(sut.knows(2025)).toBe(true);
    expect(sut.knows(2026)).toBe(true);
    expect(sut.knows(2027)).toBe(false);
  });

  it('falls back to the plain Monday–Friday week in a year without a notice', () => {
    expect(sut.isWorkingDay('2027-01-01')).toBe(true);
    expect(sut.isWorkingDay('2027-01-02')).toBe(false);
  });

  it('rejects a date that is not a real calendar date', () => {
    expect(() => sut.isWorkingDay('2026-02-30')).toThrow(RangeError);
    expect(() => sut.addWorkingDays('2026/11/20', 1)).toThrow(RangeError);
  });
});

describe(calendarFromData.name, () => {
  const file = (days: CalendarYearData['days']): CalendarYearData[] => [{ year: 2026, days }];

  it('rejects a make-up workday that falls on a weekday, naming the entry', () => {
    expect(() => calendarFromData(file([{ date: '2026-01-05', kind: 'workday', name: '元旦调休上班' }]))).toThrow(
      new CalendarDataError(
        '工作日历 2026 年第 1 条（{"date":"2026-01-05","kind":"workday","name":"元旦调休上班"}）：调休上班日必须是周六或周日',
      ),
    );
  });

  it('rejects the same date listed twice', () => {
    const days = [
      { date: '2026-10-01', kind: 'holiday', name: '国庆节' },
      { date: '2026-10-01', kind: 'holiday', name: '国庆节' },
    ];
    expect(() => calendarFromData(file(days))).toThrow(/第 2 条.*日期与工作日历 2026 年第 1 条重复/);
  });

  it('rejects an impossible date, an unknown kind, a missing name and a date of another year', () => {
    expect(() => calendarFromData(file([{ date: '2026-02-30', kind: 'holiday', name: '春节' }]))).toThrow(
      /日期不是有效的 YYYY-MM-DD/,
    );
    expect(() => calendarFromData(file([{ date: '2026-02-16', kind: 'rest', name: '春节' }]))).toThrow(
      /kind 应为 holiday 或 workday/,
    );
    expect(() => calendarFromData(file([{ date: '2026-02-16', kind: 'holiday', name: ' ' }]))).toThrow(/缺少名称/);
    expect(() => calendarFromData(file([{ date: '2027-02-16', kind: 'holiday', name: '春节' }]))).toThrow(
      /不属于 2026 年/,
    );
  });

  it('accepts a New Year block that starts in the last days of the previous December', () => {
    const sut = calendarFromData([
      {
        year: 2019,
        days: [
          { date: '2018-12-29', kind: 'workday', name: '元旦调休上班' },
          { date: '2018-12-30', kind: 'holiday', name: '元旦' },
          { date: '2018-12-31', kind: 'holiday', name: '元旦' },
          { date: '2019-01-01', kind: 'holiday', name: '元旦' },
        ],
      },
    ]);
    expect(sut.addWorkingDays('2018-12-28', 1)).toBe('2018-12-29');
    expect(sut.addWorkingDays('2018-12-29', 1)).toBe('2019-01-02');
  });

  it('rejects the same year loaded twice', () => {
    expect(() => calendarFromData([calendar2026, calendar2026])).toThrow('工作日历 2026 年重复提供');
  });
});

describe('the holiday notices in db/seeds/calendar', () => {
  it.each(files.map((f) => [f.year, f] as const))('%i: every entry is a valid date, listed once', (_year, data) => {
    const dates = data.days.map((d) => d.date);
    expect(dates.filter((d) => !isPlainDate(d))).toEqual([]);
    expect(new Set(dates).size).toBe(dates.length);
    for (const day of data.days) expect(parsePlainDate(day.date).slice(0, 4)).toBe(String(data.year));
  });

  it.each(files.map((f) => [f.year, f] as const))('%i: every make-up workday is a Saturday or Sunday', (_y, data) => {
    const notWeekend = data.days.filter((d) => d.kind === 'workday' && ![0, 6].includes(dayOfWeek(d.date)));
    expect(notWeekend).toEqual([]);
  });

  it('lists the days off and make-up workdays the notices announce', () => {
    const count = (data: CalendarYearData, kind: string) => data.days.filter((d) => d.kind === kind).length;
    // 2025: 1 + 8 + 3 + 5 + 3 + 8 days off; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7.
    expect([count(calendar2025, 'holiday'), count(calendar2025, 'workday')]).toEqual([28, 5]);
    expect([count(calendar2026, 'holiday'), count(calendar2026, 'workday')]).toEqual([33, 6]);
    expect(calendar2025.source).toMatch(/^国办发明电〔2024〕12号/);
    expect(calendar2026.source).toMatch(/^国办发明电〔2025〕7号/);
  });

  it('builds a calendar from the files without complaint', () => {
    expect(() => calendarFromData(files)).not.toThrow();
  });
});

describe(shanghaiDate.name, () => {
  it('gives the Beijing date, which is already the next day after 16:00 UTC', () => {
    expect(shanghaiDate(new Date('2026-11-20T16:30:00Z'))).toBe('2026-11-21');
    expect(shanghaiDate(new Date('2026-11-20T15:59:59Z'))).toBe('2026-11-20');
  });
});

describe(parsePlainDate.name, () => {
  it('accepts YYYY-MM-DD dates that exist and rejects others', () => {
    expect(parsePlainDate('2028-02-29')).toBe('2028-02-29');
    for (const text of ['2026-02-29', '2026-2-3', '2026-13-01', '0099-01-01', '20261120', ''])
      expect(() => parsePlainDate(text)).toThrow(RangeError);
  });
});
