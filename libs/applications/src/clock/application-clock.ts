import { parsePlainDate, type PlainDate, type WorkingCalendar } from './working-calendar';

/**
 * The promised time limit (承诺时限) of one application, in working days. Three plain values so the
 * service can keep it in three columns (int, int, date or null) of the application row.
 */
export interface ClockState {
  limitWorkingDays: number;
  /** Working days used in segments already closed by a supplement request or a decision. */
  usedWorkingDays: number;
  /** The day the open segment started (submission or resubmission); null while paused or stopped. */
  runningSince: PlainDate | null;
}

export interface ClockReading {
  limitWorkingDays: number;
  usedWorkingDays: number;
  /** Negative once the limit has passed. */
  remainingWorkingDays: number;
  /** The last working day within the limit; null while the clock is not running. */
  dueDate: PlainDate | null;
  /** True whenever the clock is not running: paused for a supplement, or stopped by a decision. */
  paused: boolean;
  overdue: boolean;
}

/**
 * Starts the clock on the day of submission. Limits count working days without public holidays
 * (行政许可法第八十二条) and the day a period starts is not counted (民法典第二百零一条: 开始的当日不计入),
 * so the first working day after submission is day one.
 */
export function startClock(limitWorkingDays: number, submittedOn: PlainDate): ClockState {
  if (!Number.isInteger(limitWorkingDays) || limitWorkingDays < 0)
    throw new RangeError(`A time limit must be a whole number of working days ≥ 0: ${limitWorkingDays}`);
  return { limitWorkingDays, usedWorkingDays: 0, runningSince: parsePlainDate(submittedOn) };
}

/**
 * A supplement request (补正) stops the count: the working days after the segment's start up to and
 * including the pause date are used; nothing counts until the applicant resubmits.
 */
export function pauseClock(state: ClockState, pausedOn: PlainDate, calendar: WorkingCalendar): ClockState {
  return { ...closeSegment(state, pausedOn, calendar, 'pause'), runningSince: null };
}

/** Resubmission opens a new segment; like the submission day, the resubmission day is not counted. */
export function resumeClock(state: ClockState, resumedOn: PlainDate): ClockState {
  if (state.runningSince !== null) throw new Error(`Cannot resume a clock running since ${state.runningSince}`);
  return { ...state, runningSince: parsePlainDate(resumedOn) };
}

/**
 * Approval, rejection or withdrawal: the used days are kept as the record of how long the
 * application took. Stopping a paused clock (withdrawn while awaiting a supplement) changes nothing.
 */
export function stopClock(state: ClockState, stoppedOn: PlainDate, calendar: WorkingCalendar): ClockState {
  if (state.runningSince === null) return state;
  return { ...closeSegment(state, stoppedOn, calendar, 'stop'), runningSince: null };
}

export function readClock(state: ClockState, today: PlainDate, calendar: WorkingCalendar): ClockReading {
  const { limitWorkingDays, usedWorkingDays: usedBefore, runningSince } = state;
  const usedWorkingDays = usedBefore + (runningSince === null ? 0 : calendar.workingDaysBetween(runningSince, today));
  const remainingWorkingDays = limitWorkingDays - usedWorkingDays;
  return {
    limitWorkingDays,
    usedWorkingDays,
    remainingWorkingDays,
    // Resumed with the limit already spent: the due date is the resubmission day itself.
    dueDate:
      runningSince === null ? null : calendar.addWorkingDays(runningSince, Math.max(0, limitWorkingDays - usedBefore)),
    paused: runningSince === null,
    overdue: remainingWorkingDays < 0,
  };
}

function closeSegment(
  state: ClockState,
  closedOn: PlainDate,
  calendar: WorkingCalendar,
  action: 'pause' | 'stop',
): ClockState {
  const { runningSince } = state;
  if (runningSince === null) throw new Error(`Cannot ${action} a clock that is not running`);
  if (parsePlainDate(closedOn) < runningSince)
    throw new RangeError(`Cannot ${action} on ${closedOn}, before the clock started on ${runningSince}`);
  // Overdue days are kept, not capped at the limit: the record shows by how much the promise was missed.
  return { ...state, usedWorkingDays: state.usedWorkingDays + calendar.workingDaysBetween(runningSince, closedOn) };
}
