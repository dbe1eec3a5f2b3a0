import calendar2025 from '../../../../db/seeds/calendar/2025.json';
import calendar2026 from '../../../../db/seeds/calendar/2026.json';
import { pauseClock, readClock, resumeClock, startClock, stopClock, type ClockState } from './application-clock';
import { calendarFromData } from './working-calendar';

const calendar = calendarFromData([calendar2025, calendar2026]);

describe(readClock.name, () => {
  it('does not count the day of submission nor the weekend: Friday with 3 days is due Wednesday', () => {
    const sut = startClock(3, '2026-11-20');
    expect(readClock(sut, '2026-11-20', calendar)).toEqual({
      limitWorkingDays: 3,
      usedWorkingDays: 0,
      remainingWorkingDays: 3,
      dueDate: '2026-11-25',
      paused: false,
      overdue: false,
    });
    expect(readClock(sut, '2026-11-22', calendar)).toMatchObject({ usedWorkingDays: 0, remainingWorkingDays: 3 });
    expect(readClock(sut, '2026-11-23', calendar)).toMatchObject({ usedWorkingDays: 1, remainingWorkingDays: 2 });
  });

  it('runs through the National Day holiday untouched and is due on the make-up Saturday', () => {
    const sut = startClock(3, '2026-09-30');
    expect(readClock(sut, '2026-10-07', calendar)).toMatchObject({ remainingWorkingDays: 3, dueDate: '2026-10-10' });
    expect(readClock(sut, '2026-10-09', calendar)).toMatchObject({ remainingWorkingDays: 1 });
    expect(readClock(sut, '2026-10-10', calendar)).toMatchObject({ remainingWorkingDays: 0, overdue: false });
  });

  it('counts a make-up Sunday as a day of the limit', () => {
    const sut = startClock(2, '2026-01-01');
    expect(readClock(sut, '2026-01-04', calendar)).toMatchObject({ usedWorkingDays: 1, dueDate: '2026-01-05' });
  });

  it('shows how many working days the application is overdue', () => {
    const sut = startClock(3, '2026-11-16');
    expect(readClock(sut, '2026-11-19', calendar)).toMatchObject({ remainingWorkingDays: 0, overdue: false });
    expect(readClock(sut, '2026-11-23', calendar)).toEqual({
      limitWorkingDays: 3,
      usedWorkingDays: 5,
      remainingWorkingDays: -2,
      dueDate: '2026-11-19',
      paused: false,
      overdue: true,
    });
  });
});

describe(pauseClock.name, () => {
  // Submitted Monday, supplement requested Wednesday, resubmitted the following Monday.
  const submitted = startClock(3, '2026-11-16');
  const paused = pauseClock(submitted, '2026-11-18', calendar);

  it('keeps the working days used before the supplement request, the request day included', () => {
    expect(paused).toEqual({ limitWorkingDays: 3, usedWorkingDays: 2, runningSince: null });
  });

  it('stops counting while the applicant prepares the supplement', () => {
    for (const today of ['2026-11-19', '2026-11-20', '2026-11-23'])
      expect(readClock(paused, today, calendar)).toEqual({
        limitWorkingDays: 3,
        usedWorkingDays: 2,
        remainingWorkingDays: 1,
        dueDate: null,
        paused: true,
        overdue: false,
      });
  });

  it('continues from the days left after resubmission, not counting the resubmission day', () => {
    const sut = resumeClock(paused, '2026-11-23');
    expect(readClock(sut, '2026-11-23', calendar)).toMatchObject({
      usedWorkingDays: 2,
      remainingWorkingDays: 1,
      dueDate: '2026-11-24',
      paused: false,
    });
    expect(readClock(sut, '2026-11-25', calendar)).toMatchObject({ remainingWorkingDays: -1, overdue: true });
  });

  it('gives the resubmission day as due when the limit was already spent before the pause', () => {
    const late = pauseClock(startClock(1, '2026-11-16'), '2026-11-18', calendar);
    const sut = resumeClock(late, '2026-11-23');
    expect(readClock(sut, '2026-11-23', calendar)).toMatchObject({
      usedWorkingDays: 2,
      remainingWorkingDays: -1,
      dueDate: '2026-11-23',
      overdue: true,
    });
  });

  it('refuses to pause a clock that is not running, or before it started', () => {
    expect(() => pauseClock(paused, '2026-11-19', calendar)).toThrow('not running');
    expect(() => pauseClock(submitted, '2026-11-13', calendar)).toThrow(RangeError);
  });
});

describe(resumeClock.name, () => {
  it('refuses to resume a clock that is already running', () => {
    expect(() => resumeClock(startClock(3, '2026-11-16'), '2026-11-17')).toThrow(/running since 2026-11-16/);
  });
});

describe(stopClock.name, () => {
  it('keeps the working days the application took once it is decided, and shows no due date', () => {
    const sut = stopClock(startClock(3, '2026-11-20'), '2026-11-24', calendar);
    expect(sut).toEqual({ limitWorkingDays: 3, usedWorkingDays: 2, runningSince: null });
    expect(readClock(sut, '2026-12-31', calendar)).toMatchObject({ usedWorkingDays: 2, dueDate: null });
  });

  it('leaves a paused clock as it is when the application is withdrawn during a supplement', () => {
    const paused = pauseClock(startClock(3, '2026-11-16'), '2026-11-18', calendar);
    expect(stopClock(paused, '2026-11-20', calendar)).toEqual(paused);
  });
});

describe(startClock.name, () => {
  it('refuses a limit that is not a whole number of days, or an invalid submission date', () => {
    expect(() => startClock(-1, '2026-11-20')).toThrow(RangeError);
    expect(() => startClock(2.5, '2026-11-20')).toThrow(RangeError);
    expect(() => startClock(3, '2026-11-31')).toThrow(RangeError);
  });

  it('stores as three plain values and reads the same after a round trip through the database row', () => {
    const state = resumeClock(pauseClock(startClock(5, '2026-11-16'), '2026-11-18', calendar), '2026-11-23');
    const row = { limit: state.limitWorkingDays, used: state.usedWorkingDays, since: state.runningSince };
    expect(row).toEqual({ limit: 5, used: 2, since: '2026-11-23' });
    const restored: ClockState = JSON.parse(
      JSON.stringify({ limitWorkingDays: row.limit, usedWorkingDays: row.used, runningSince: row.since }),
    );
    expect(readClock(restored, '2026-11-24', calendar)).toEqual(readClock(state, '2026-11-24', calendar));
  });
});
