import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
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
import { formatCertificateNumber, newVerificationCode } from '@zhengming/certificates';
import { PeopleService } from '@zhengming/identity';
import { idNumberCheckCharacter, type PiiCipher } from '@zhengming/pii';
import { ReportRefreshService } from '@zhengming/reports';
import { VerificationLog, type VerificationRecord } from '@zhengming/verification';
import { seededRandom } from './seeded-random';

// A demonstration history for the statistics dashboard (npm run seed:history): years of applications,
// supplements, decisions, certificates and verifications with the shapes a district sees. The plan is
// pure and seeded (planHistory); writeHistory puts it in the raw tables the way the domain services
// leave them, and the roll-ups are recounted from those tables at the end.

export type Sector = 'government' | 'bank' | 'school' | 'other';

export interface HistoryCommittee {
  id: string;
  code: string;
  townId: string;
  townCode: string;
  sealId: string;
}

export interface HistoryType {
  code: string;
  versionId: string;
  numberCode: string;
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
  clock: ClockState;
  issuedAt: Date | null;
  signedAt: Date | null;
  revokedAt: Date | null;
  checks: PlannedCheck[];
}

export interface HistoryPlan {
  applications: PlannedApplication[];
  /** Checks of numbers that name no certificate (typos, guesses): anonymous, district-wide. */
  strayChecks: Date[];
}

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
 * hours, most within the promised time limit; verifications by the sectors that use each type.
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
      if (closedAt.getTime() > beijing(options.until, 24).getTime()) continue; // not decided yet: left out
      let issuedAt: Date | null = null;
      let signedAt: Date | null = null;
      let revokedAt: Date | null = null;
      const checks: PlannedCheck[] = [];
      if (outcome === 'issued') {
        issuedAt = new Date(closedAt.getTime() + (5 + random() * 60) * 1000);
        signedAt = new Date(issuedAt.getTime() + (1 + random() * 20) * 1000);
        if (random() < 0.012) revokedAt = new Date(signedAt.getTime() + random() * 60 * DAY);
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
            at: new Date(signedAt.getTime() + Math.pow(random(), 2) * 45 * DAY),
            sector,
            method: sector === 'anonymous' ? weighted<PlannedCheck['method']>(random, ANONYMOUS_METHODS) : 'api',
          });
        }
        if (random() < 0.03) strayChecks.push(new Date(signedAt.getTime() + random() * 30 * DAY));
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
        signedAt,
        revokedAt,
        checks,
      });
    }
  }
  return { applications, strayChecks };
}

export interface HistoryOutcome {
  applications: number;
  issued: number;
  rejected: number;
  withdrawn: number;
  supplementRounds: number;
  verifications: number;
  from: PlainDate;
  until: PlainDate;
}

/** A valid GB 11643 number for a synthetic resident of Zengcheng (4401 18), born 1960–1999. */
function syntheticIdNumber(random: () => number): string {
  const birth = new Date(Date.UTC(1960 + Math.floor(random() * 40), 0, 1) + Math.floor(random() * 365) * DAY);
  const first17 = `440118${birth.toISOString().slice(0, 10).replaceAll('-', '')}${String(Math.floor(random() * 1000)).padStart(3, '0')}`;
  return first17 + idNumberCheckCharacter(first17);
}

const SURNAMES = '陈李黄张梁刘何罗钟赖朱曾';

/**
 * Writes a plan into the raw tables in the shape the services leave them: residents registered
 * through PeopleService (ID numbers encrypted), each application at its final state with its
 * clock columns and supplement requests, each certificate with its number (the committee's serials
 * advanced to match), an encrypted verification code and its seal, verifications through the real
 * verification log; then the statistics roll-ups are recounted from those tables.
 */
export async function writeHistory(
  dataSource: DataSource,
  cipher: PiiCipher,
  options: HistoryPlanOptions,
  plan: HistoryPlan,
  log: (line: string) => void = () => undefined,
): Promise<HistoryOutcome> {
  const random = seededRandom(options.seed ^ 0x5eed);
  const people = new PeopleService(dataSource, cipher);
  const applicants: string[] = [];
  const reviewers: string[] = [];
  await dataSource.transaction(async (m) => {
    for (let i = 0; i < 1000; i++) {
      const name = `${SURNAMES[i % SURNAMES.length]}演示${i}`;
      applicants.push((await people.register({ name, idNumber: syntheticIdNumber(random) }, m)).id);
    }
    for (let i = 0; i < 3; i++) {
      reviewers.push((await people.register({ name: `审批演示${i}`, idNumber: syntheticIdNumber(random) }, m)).id);
    }
  });
  const institutions = new Map<Sector, string>();
  for (const [sector, name] of [
    ['government', '（演示）增城区政务服务中心'],
    ['bank', '（演示）增城农商银行'],
    ['school', '（演示）增城区第一小学'],
    ['other', '（演示）增城供电局'],
  ] as const) {
    const [row] = (await dataSource.query(
      `INSERT INTO verifier_institutions (name, sector) VALUES ($1, $2) RETURNING id`,
      [name, sector],
    )) as { id: string }[];
    institutions.set(sector, row.id);
  }

  const serials = new Map<string, number>();
  const verifications = new VerificationLog(dataSource);
  const outcome: HistoryOutcome = {
    applications: plan.applications.length,
    issued: 0,
    rejected: 0,
    withdrawn: 0,
    supplementRounds: 0,
    verifications: 0,
    from: plan.applications[0] ? shanghaiDate(plan.applications[0].submittedAt) : options.until,
    until: options.until,
  };
  const form = cipher.encrypt('form', JSON.stringify({}));
  const BATCH = 1000;
  for (let start = 0; start < plan.applications.length; start += BATCH) {
    const batch = plan.applications.slice(start, start + BATCH);
    const apps: unknown[][] = [];
    const supplements: unknown[][] = [];
    const certificates: unknown[][] = [];
    const checks: VerificationRecord[] = [];
    for (const [offset, a] of batch.entries()) {
      const id = randomUUID();
      const committee = options.committees[a.committee];
      const type = options.types[a.type];
      const reviewer = reviewers[(start + offset) % reviewers.length];
      apps.push([
        id,
        `HS${String(start + offset + 1).padStart(8, '0')}`,
        type.code,
        type.versionId,
        committee.id,
        committee.townId,
        applicants[a.applicant],
        a.outcome,
        form,
        a.supplements.length + 1 - (a.outcome === 'withdrawn' && a.supplements.at(-1)?.answeredAt === null ? 1 : 0),
        type.limit,
        a.clock.usedWorkingDays,
        a.outcome === 'rejected' ? '材料与实际情况不符' : null,
        a.submittedAt,
        a.outcome === 'withdrawn' ? null : a.closedAt,
        a.outcome === 'issued' ? reviewer : null,
        a.createdAt,
        a.revokedAt ?? a.signedAt ?? a.closedAt,
      ]);
      a.supplements.forEach((s, round) => supplements.push([id, round + 1, s.requestedAt, s.answeredAt, reviewer]));
      outcome.supplementRounds += a.supplements.length;
      if (a.outcome === 'rejected') outcome.rejected += 1;
      if (a.outcome === 'withdrawn') outcome.withdrawn += 1;
      if (a.outcome !== 'issued' || !a.issuedAt || !a.signedAt) continue;
      outcome.issued += 1;
      const year = Number(shanghaiDate(a.issuedAt).slice(0, 4));
      const key = `${committee.id}|${type.numberCode}|${year}`;
      const serial = (serials.get(key) ?? 0) + 1;
      serials.set(key, serial);
      const certificateId = randomUUID();
      certificates.push([
        certificateId,
        id,
        formatCertificateNumber({ committeeCode: committee.code, numberCode: type.numberCode, year, serial }),
        a.revokedAt ? 'revoked' : 'issued',
        type.versionId,
        committee.id,
        cipher.encrypt('verificationCode', newVerificationCode()),
        a.issuedAt,
        new Date(a.issuedAt.getTime() + 365 * DAY),
        committee.sealId,
        a.signedAt,
        a.revokedAt,
        a.revokedAt ? '申请人信息有误，重新开具' : null,
        a.revokedAt ? reviewer : null,
      ]);
      for (const c of a.checks) {
        checks.push({
          certificateId,
          institutionId: c.sector === 'anonymous' ? null : institutions.get(c.sector)!,
          sector: c.sector,
          method: c.method,
          result: a.revokedAt && c.at > a.revokedAt ? 'revoked' : 'valid',
          checkedAt: c.at,
        });
      }
    }
    await dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO applications (id, reference_no, type_code, type_version_id, committee_id, town_id, applicant_id,
                                   applicant_name_masked, status, form_enc, round, time_limit_working_days,
                                   clock_used_working_days, clock_running_since, rejection_reason, submitted_at,
                                   decided_at, approved_by, created_at, updated_at)
         SELECT a.id, a.ref, a.type_code, a.version, a.committee, a.town, a.applicant, '演*', a.status, a.form, a.round,
                a.time_limit, a.used, NULL, a.reason, a.submitted, a.decided, a.approver, a.created, a.updated
           FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[],
                       $8::varchar[], $9::text[], $10::int[], $11::int[], $12::int[], $13::varchar[],
                       $14::timestamptz[], $15::timestamptz[], $16::uuid[], $17::timestamptz[], $18::timestamptz[])
                AS a(id, ref, type_code, version, committee, town, applicant, status, form, round, time_limit,
                     used, reason, submitted, decided, approver, created, updated)`,
        columns(apps, 18),
      );
      if (supplements.length > 0) {
        await m.query(
          `INSERT INTO supplement_requests (application_id, round, items, note, requested_at, answered_at, requested_by)
           SELECT a, r, '[{"materialKey":"other","reason":"照片不清晰，请重新上传"}]'::jsonb, NULL, q, s, b
             FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::timestamptz[], $5::uuid[]) AS x(a, r, q, s, b)`,
          columns(supplements, 5),
        );
      }
      if (certificates.length > 0) {
        await m.query(
          `INSERT INTO certificates (id, application_id, number, status, type_version_id, committee_id,
                                     verification_code_enc, holder_name_masked, holder_id_masked, issued_at,
                                     valid_until, seal_id, signed_at, revoked_at, revocation_reason, revoked_by)
           SELECT c.id, c.app, c.number, c.status, c.version, c.committee, c.code, '演*', '4401**********0000',
                  c.issued, c.until, c.seal, c.signed, c.revoked, c.reason, c.by
             FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::uuid[], $6::uuid[], $7::text[],
                         $8::timestamptz[], $9::timestamptz[], $10::uuid[], $11::timestamptz[], $12::timestamptz[],
                         $13::varchar[], $14::uuid[])
                  AS c(id, app, number, status, version, committee, code, issued, until, seal, signed, revoked,
                       reason, by)`,
          columns(certificates, 14),
        );
      }
    });
    for (const check of checks) verifications.record(check);
    outcome.verifications += checks.length;
    if ((start / BATCH) % 10 === 9) log(`  ${start + batch.length} / ${plan.applications.length} applications`);
  }
  for (const at of plan.strayChecks) {
    verifications.record({
      certificateId: null,
      institutionId: null,
      sector: 'anonymous',
      method: 'manual',
      result: 'unknown',
      checkedAt: at,
    });
  }
  outcome.verifications += plan.strayChecks.length;
  await verifications.flush();

  // The real issuer continues each committee's numbering after the history's last serial.
  for (const [key, serial] of serials) {
    const [committeeId, numberCode, year] = key.split('|');
    await dataSource.query(
      `INSERT INTO certificate_serials (committee_id, number_code, year, last_serial) VALUES ($1, $2, $3, $4)
       ON CONFLICT (committee_id, number_code, year)
       DO UPDATE SET last_serial = greatest(certificate_serials.last_serial, EXCLUDED.last_serial)`,
      [committeeId, numberCode, Number(year), serial],
    );
  }

  log('  recounting the statistics roll-ups…');
  const refresher = new ReportRefreshService(dataSource);
  while (!(await refresher.refresh()).ran) await new Promise((resolve) => setTimeout(resolve, 200));
  return outcome;
}

/** Rows to the per-column arrays unnest() takes. */
function columns(rows: unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, i) => rows.map((row) => row[i]));
}
