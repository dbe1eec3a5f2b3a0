import {
  pauseClock,
  resumeClock,
  shanghaiDate,
  startClock,
  stopClock,
  type ClockState,
  type PlainDate,
  type WorkingCalendar,
} from '@zhengming/applications';
import { seededRandom } from './seeded-random';

// A demonstration history for the statistics dashboard (npm run seed:history): years of applications,
// supplements, decisions, certificates and verifications with the shapes a district sees. The plan is
// pure and seeded (planHistory), and so is the order of its steps (historySteps); the writer
// (seed-history-writer.ts) takes each step through the domain services with the clock set to its time.

export type Sector = 'government' | 'bank' | 'school' | 'other';

export interface HistoryCommittee {
  id: string;
  code: string;
  townCode: string;
}

export interface HistoryType {
  code: string;
  /** The promised time limit, in working days. */
  limit: number;
}

export interface PlannedCheck {
  at: Date;
  sector: Sector | 'anonymous';
  method: 'qr' | 'manual' | 'api' | 'pdf';
}

export interface PlannedApplication {
  committee: number;
  type: number;
  applicant: number;
  createdAt: Date;
  submittedAt: Date;
  /** Supplement rounds: when the reviewer asked, and when the applicant answered (null: never). */
  supplements: { requestedAt: Date; answeredAt: Date | null }[];
  outcome: 'issued' | 'rejected' | 'withdrawn';
  /** The decision (issued, rejected) or the withdrawal. */
  closedAt: Date;
  /** The promised-time-limit clock as the plan expects the service to leave it. */
  clock: ClockState;
  /** When the issuer takes up the approval (the worker's delay); it records the signing itself. */
  issuedAt: Date | null;
  revokedAt: Date | null;
  checks: PlannedCheck[];
}

export interface HistoryPlan {
  applications: PlannedApplication[];
  /** Checks of numbers that name no certificate (typos, guesses): anonymous, district-wide. */
  strayChecks: Date[];
}

/** One step of an application's life, at its time: what the writer takes through a service. */
export type HistoryStep = { at: Date } & (
  | { kind: 'draft' | 'submit' | 'approve' | 'reject' | 'withdraw' | 'issue' | 'revoke' }
  | { kind: 'request_supplement' | 'resubmit'; round: number }
  | { kind: 'check'; check: PlannedCheck }
);

export interface HistoryPlanOptions {
  seed: number;
  years: number;
  /** Applications in the last of those years; earlier years have fewer (the service was growing). */
  perYear: number;
  /** The last day of the history (Beijing time); nothing is planned after it. */
  until: PlainDate;
  committees: HistoryCommittee[];
  types: HistoryType[];
  calendar: WorkingCalendar;
}

/** Application volume per month, relative: the Spring Festival in Feb, the National Day week in Oct. */
const MONTH_FACTOR = [1.0, 0.55, 1.2, 1.05, 1.0, 1.05, 0.95, 1.0, 1.15, 0.75, 1.05, 1.1];
/** Each type's own season, by month: guardianship before term starts, weather in the typhoon months. */
const TYPE_SEASON: Record<string, number[]> = {
  guardianship: [0.8, 0.6, 1.0, 0.8, 0.8, 1.2, 1.6, 2.2, 2.0, 0.6, 0.6, 0.7],
  weather: [0.4, 0.3, 0.5, 0.8, 1.4, 1.8, 2.0, 2.2, 1.8, 0.9, 0.5, 0.4],
};
/** How common each type is overall. */
const TYPE_WEIGHT: Record<string, number> = {
  'business-premises-use': 3.2,
  'ev-charger-installation': 2.4,
  guardianship: 1.6,
  weather: 1.0,
  'entertainment-venue-deregistration': 0.5,
};
/** The service grows as more committees and residents take it up: each year 1.45 times the one before. */
const GROWTH = 1.45;
/** Who checks which certificate: banks and offices the business ones, schools guardianship. */
const SECTORS_BY_TYPE: Record<string, [Sector | 'anonymous', number][]> = {
  'business-premises-use': [
    ['government', 4],
    ['bank', 3],
    ['other', 1],
    ['anonymous', 2],
  ],
  'entertainment-venue-deregistration': [
    ['government', 5],
    ['anonymous', 1],
  ],
  'ev-charger-installation': [
    ['other', 5],
    ['government', 1],
    ['anonymous', 2],
  ],
  guardianship: [
    ['school', 5],
    ['government', 1],
    ['bank', 1],
    ['anonymous', 2],
  ],
  weather: [
    ['other', 3],
    ['bank', 1],
    ['government', 1],
    ['anonymous', 2],
  ],
};

/** How people without an API key check: mostly the QR code, some type the number, a few upload the PDF. */
const ANONYMOUS_METHODS: [PlannedCheck['method'], number][] = [
  ['qr', 6],
  ['manual', 2],
  ['pdf', 1],
];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Nothing that follows issuing (a check, a revocation) comes sooner than this after it: the signing itself takes time. */
const AFTER_ISSUE_MS = 60_000;

/** The instant `hours` after midnight of `day` in Beijing. */
function beijing(day: PlainDate, hours: number): Date {
  return new Date(Date.parse(`${day}T00:00:00+08:00`) + hours * HOUR);
}

function addDays(day: PlainDate, n: number): PlainDate {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
}

function weighted<T>(random: () => number, items: readonly [T, number][]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r <= 0) return item;
  }
  return items[items.length - 1][0];
}

/**
 * Plans the history: a volume per day that follows the months and grows year on year; committees
 * weighted by their town's size (新塘 and 荔城 busy, the mountain towns quiet) and their own, with
 * about one in twelve not yet issuing at all; a supplement round for about one application in five
 * and a second for some; about 6 % rejected and a few withdrawn; decisions on working days in office
 * hours, most within the promised time limit; verifications by the sectors that use each type. Nothing
 * happens after the last day: applications not decided by then, and later checks and revocations, are
 * left out.
 */
export function planHistory(options: HistoryPlanOptions): HistoryPlan {
  const random = seededRandom(options.seed);
  const { calendar, types, committees } = options;
  const townSize = new Map<string, number>();
  for (const c of committees) {
    if (!townSize.has(c.townCode)) {
      const big = ['440118100', '440118001', '440118002', '440118101'].includes(c.townCode);
      townSize.set(c.townCode, (big ? 2.2 : 0.7) + random());
    }
  }
  // About one committee in twelve has not started issuing; each town's first committee (where the
  // seeded staff work) always has.
  const committeeWeights: [number, number][] = committees.map((c, i) => [
    i,
    random() < 0.08 && !c.code.endsWith('001') ? 0 : townSize.get(c.townCode)! * (0.2 + random() * random() * 3),
  ]);
  const active = committeeWeights.filter(([, w]) => w > 0);

  const start = addDays(options.until, -Math.round(options.years * 365.25) + 1);
  const end = beijing(options.until, 24).getTime();
  const beforeEnd = (at: Date) => at.getTime() < end;
  const lastYear = Number(options.until.slice(0, 4));
  const meanFactor = MONTH_FACTOR.reduce((s, f) => s + f, 0) / 12;
  const applications: PlannedApplication[] = [];
  const strayChecks: Date[] = [];
  const nextWorkingDay = (day: PlainDate, n: number) => calendar.addWorkingDays(day, n);
  /** An office-hours moment on a working day `n` working days after `day` (0: that day if it works). */
  const officeMoment = (day: PlainDate, n: number, notBefore: Date): Date => {
    let target = n === 0 && calendar.isWorkingDay(day) ? day : nextWorkingDay(day, Math.max(1, n));
    for (;;) {
      const at = beijing(target, 9 + random() * 8.5);
      if (at > notBefore) return at;
      const later = new Date(notBefore.getTime() + (0.3 + random() * 2) * HOUR);
      if (shanghaiDate(later) === target && later.getTime() < beijing(target, 17.5).getTime()) return later;
      target = nextWorkingDay(target, 1);
    }
  };

  for (let day = start; day <= options.until; day = addDays(day, 1)) {
    const month = Number(day.slice(5, 7)) - 1;
    const yearsBack = lastYear - Number(day.slice(0, 4)) + (12 - month - 1) / 12;
    const working = calendar.isWorkingDay(day);
    const expected =
      ((options.perYear / 365) * (MONTH_FACTOR[month] / meanFactor) * (working ? 1.25 : 0.45)) /
      Math.pow(GROWTH, yearsBack);
    const count = Math.floor(expected + random());
    for (let k = 0; k < count; k++) {
      const typeWeights = types.map((t, i): [number, number] => [
        i,
        (TYPE_WEIGHT[t.code] ?? 1) * (TYPE_SEASON[t.code]?.[month] ?? 1),
      ]);
      const type = weighted(random, typeWeights);
      const committee = weighted(random, active);
      // Residents apply on their phones: mostly daytime and evening, now and then at night.
      const submittedAt = beijing(day, random() < 0.9 ? 8 + random() * 14 : random() * 24);
      const createdAt = new Date(submittedAt.getTime() - (0.05 + random() * 20) * HOUR);
      let clock = startClock(types[type].limit, shanghaiDate(submittedAt));
      const supplements: PlannedApplication['supplements'] = [];
      let t = submittedAt;
      let outcome: PlannedApplication['outcome'] | null = null;
      const rounds = random() < 0.21 ? (random() < 0.2 ? 2 : 1) : 0;
      for (let r = 0; r < rounds && !outcome; r++) {
        const requestedAt = officeMoment(shanghaiDate(t), Math.floor(random() * 2), t);
        clock = pauseClock(clock, shanghaiDate(requestedAt), calendar);
        if (random() < 0.07) {
          supplements.push({ requestedAt, answeredAt: null });
          t = new Date(requestedAt.getTime() + (3 + random() * 20) * DAY);
          outcome = 'withdrawn';
          break;
        }
        const answeredAt = new Date(requestedAt.getTime() + (2 + random() * 96) * HOUR);
        supplements.push({ requestedAt, answeredAt });
        clock = resumeClock(clock, shanghaiDate(answeredAt));
        t = answeredAt;
      }
      let closedAt = t;
      if (!outcome) {
        const fate = random();
        // Working days to a decision: most the same or the next day, a few past the limit.
        const days = weighted<number>(random, [
          [0, 34],
          [1, 30],
          [2, 15],
          [3, 9],
          [Math.min(5, types[type].limit), 6],
          [types[type].limit + 1 + Math.floor(random() * 3), 4],
        ]);
        closedAt = officeMoment(shanghaiDate(t), days, t);
        if (fate < 0.015) {
          outcome = 'withdrawn';
          closedAt = new Date(t.getTime() + random() * 2 * DAY);
        } else {
          outcome = fate < 0.075 ? 'rejected' : 'issued';
        }
        clock = stopClock(clock, shanghaiDate(closedAt), calendar);
      }
      const issuedAt: Date | null =
        outcome === 'issued' ? new Date(closedAt.getTime() + (5 + random() * 60) * 1000) : null;
      if (!beforeEnd(issuedAt ?? closedAt)) continue; // not decided (or issued) yet: left out
      let revokedAt: Date | null = null;
      let checks: PlannedCheck[] = [];
      if (issuedAt) {
        const sealed = issuedAt.getTime() + AFTER_ISSUE_MS;
        if (random() < 0.012) revokedAt = new Date(sealed + random() * 60 * DAY);
        const n = weighted<number>(random, [
          [0, 25],
          [1, 40],
          [2, 22],
          [3, 9],
          [5, 4],
        ]);
        const sectors = SECTORS_BY_TYPE[types[type].code] ?? [['anonymous', 1]];
        for (let c = 0; c < n; c++) {
          const sector = weighted(random, sectors);
          checks.push({
            at: new Date(sealed + Math.pow(random(), 2) * 45 * DAY),
            sector,
            method: sector === 'anonymous' ? weighted<PlannedCheck['method']>(random, ANONYMOUS_METHODS) : 'api',
          });
        }
        if (random() < 0.03) strayChecks.push(new Date(sealed + random() * 30 * DAY));
        if (revokedAt && !beforeEnd(revokedAt)) revokedAt = null;
        checks = checks.filter((c) => beforeEnd(c.at));
      }
      applications.push({
        committee,
        type,
        applicant: Math.floor(random() * 1000),
        createdAt,
        submittedAt,
        supplements,
        outcome,
        closedAt,
        clock,
        issuedAt,
        revokedAt,
        checks,
      });
    }
  }
  return { applications, strayChecks: strayChecks.filter(beforeEnd).sort((a, b) => a.getTime() - b.getTime()) };
}

/**
 * An application's steps in the order they happen: the draft (form and materials), the submission,
 * each supplement round (the request, and the answer if one came), the decision or the withdrawal,
 * then the issue, and the checks and any revocation in their time order.
 */
export function historySteps(a: PlannedApplication): HistoryStep[] {
  const steps: HistoryStep[] = [
    { at: a.createdAt, kind: 'draft' },
    { at: a.submittedAt, kind: 'submit' },
  ];
  a.supplements.forEach((s, i) => {
    steps.push({ at: s.requestedAt, kind: 'request_supplement', round: i + 1 });
    if (s.answeredAt) steps.push({ at: s.answeredAt, kind: 'resubmit', round: i + 1 });
  });
  const decision = { issued: 'approve', rejected: 'reject', withdrawn: 'withdraw' } as const;
  steps.push({ at: a.closedAt, kind: decision[a.outcome] });
  if (!a.issuedAt) return steps;
  steps.push({ at: a.issuedAt, kind: 'issue' });
  const after: HistoryStep[] = a.checks.map((check) => ({ at: check.at, kind: 'check', check }));
  if (a.revokedAt) after.push({ at: a.revokedAt, kind: 'revoke' });
  return [...steps, ...after.sort((x, y) => x.at.getTime() - y.at.getTime())];
}
