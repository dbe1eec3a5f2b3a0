import {
  checkedRange,
  defaultRange,
  granularityOf,
  percentileOf,
  planRange,
  weekOf,
  yearEarlier,
} from './report-range';
import { ReportErrorCode } from './reports.exception';

describe(planRange.name, () => {
  it('reads a whole year from twelve monthly rows', () => {
    expect(planRange({ from: '2026-01-01', to: '2026-12-31' })).toEqual({
      days: [],
      months: { from: '2026-01-01', to: '2026-12-01' },
    });
  });

  it('reads the partial first and last months by day and the months between by month', () => {
    expect(planRange({ from: '2026-01-15', to: '2026-04-10' })).toEqual({
      days: [
        { from: '2026-01-15', to: '2026-01-31' },
        { from: '2026-04-01', to: '2026-04-10' },
      ],
      months: { from: '2026-02-01', to: '2026-03-01' },
    });
  });

  it('reads a range inside one month by day only', () => {
    expect(planRange({ from: '2026-02-03', to: '2026-02-20' })).toEqual({
      days: [{ from: '2026-02-03', to: '2026-02-20' }],
      months: null,
    });
    expect(planRange({ from: '2026-02-01', to: '2026-02-20' })).toEqual({
      days: [{ from: '2026-02-01', to: '2026-02-20' }],
      months: null,
    });
    expect(planRange({ from: '2026-02-01', to: '2026-02-28' })).toEqual({
      days: [],
      months: { from: '2026-02-01', to: '2026-02-01' },
    });
  });

  it('handles two adjacent partial months', () => {
    expect(planRange({ from: '2026-01-20', to: '2026-02-05' })).toEqual({
      days: [
        { from: '2026-01-20', to: '2026-01-31' },
        { from: '2026-02-01', to: '2026-02-05' },
      ],
      months: null,
    });
    expect(planRange({ from: '2025-12-01', to: '2026-01-05' })).toEqual({
      days: [{ from: '2026-01-01', to: '2026-01-05' }],
      months: { from: '2025-12-01', to: '2025-12-01' },
    });
  });
});

describe(checkedRange.name, () => {
  it('refuses impossible dates, reversed ranges and more than three years', () => {
    expect(() => checkedRange('2026-02-30', '2026-03-01')).toThrow(
      expect.objectContaining({ code: ReportErrorCode.RangeInvalid }),
    );
    expect(() => checkedRange('2026-03-02', '2026-03-01')).toThrow(
      expect.objectContaining({ code: ReportErrorCode.RangeInvalid }),
    );
    expect(() => checkedRange('2020-01-01', '2026-03-01')).toThrow(
      expect.objectContaining({ code: ReportErrorCode.RangeTooLong }),
    );
    expect(checkedRange('2024-02-29', '2026-12-31')).toEqual({ from: '2024-02-29', to: '2026-12-31' });
  });
});

describe(granularityOf.name, () => {
  it('shows days up to a month, weeks up to half a year, then months', () => {
    expect(granularityOf({ from: '2026-01-01', to: '2026-01-31' })).toBe('day');
    expect(granularityOf({ from: '2026-01-01', to: '2026-06-30' })).toBe('week');
    expect(granularityOf({ from: '2026-01-01', to: '2026-07-31' })).toBe('month');
  });
});

describe('calendar helpers', () => {
  it('starts weeks on Monday, goes back a year onto 28 February from a leap day, defaults to twelve months', () => {
    expect(weekOf('2026-11-26')).toBe('2026-11-23');
    expect(weekOf('2026-11-23')).toBe('2026-11-23');
    expect(weekOf('2026-11-22')).toBe('2026-11-16');
    expect(yearEarlier('2028-02-29')).toBe('2027-02-28');
    expect(yearEarlier('2026-10-31')).toBe('2025-10-31');
    expect(defaultRange('2026-11-26')).toEqual({ from: '2025-12-01', to: '2026-11-26' });
  });
});

describe(percentileOf.name, () => {
  it('follows percentile_disc: the first value whose running count reaches ceil(p × n)', () => {
    const histogram = [
      { hours: 30, count: 1 },
      { hours: 2, count: 2 },
      { hours: 5, count: 1 },
    ];
    // Sorted: 2, 2, 5, 30 → p50 = 2 (rank 2), p90 = 30 (rank 4).
    expect(percentileOf(histogram, 0.5)).toBe(2);
    expect(percentileOf(histogram, 0.9)).toBe(30);
    expect(percentileOf([], 0.5)).toBeNull();
  });
});
