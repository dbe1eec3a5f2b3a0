import { randomBytes, randomUUID } from 'node:crypto';
import { seededRandom } from '../../db/seeded-random';

/** Anything that runs SQL with $n parameters: a TypeORM DataSource or a pg Client. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface VerificationRow {
  certificateId: string | null;
  institutionId: string | null;
  sector: 'government' | 'bank' | 'school' | 'other' | 'anonymous';
  method: 'qr' | 'manual' | 'api' | 'pdf';
  result: 'valid' | 'expired' | 'revoked' | 'unknown' | 'invalid';
  checkedAt: Date;
}

export interface HistoryOptions {
  seed: number;
  applications: number;
  /** Committees the applications go to (ids); they need a seal. */
  committeeIds: string[];
  /** First submission instant; submissions spread over `spanDays` after it. */
  start: Date;
  spanDays: number;
  /** Called every `everyOps` operations (a refresh, for instance). */
  between?: (op: number) => Promise<void>;
  everyOps?: number;
  /** Writes a batch of verifications; by default the same multi-row INSERT the verification log uses. */
  verify?: (rows: VerificationRow[]) => Promise<void>;
}

export interface HistoryOutcome {
  applications: number;
  issued: number;
  rejected: number;
  revoked: number;
  verifications: number;
  operations: number;
}

const HOUR = 3600_000;
const SECTORS = ['government', 'bank', 'school', 'other'] as const;

type Op = () => Promise<void>;

/**
 * Writes a random history straight into the raw tables, row by row as the domain services write it
 * (draft, submission, acceptance, supplement rounds, rejection, withdrawal, approval, the pending
 * certificate, its issue, revocation, verifications in batches), with the operations of different
 * applications interleaved at random. Direct SQL rather than the services: thousands of transitions
 * through the services (each with its audit chain entry, notices and a signed PDF) would take minutes.
 */
export async function writeRandomHistory(db: SqlRunner, options: HistoryOptions): Promise<HistoryOutcome> {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const rows = async <T>(sql: string, params?: unknown[]) => (await db.query(sql, params)) as T[];

  const types = await rows<{ code: string; versionId: string; limit: number }>(
    `SELECT t.code, v.id AS "versionId", v.time_limit_working_days AS "limit"
       FROM certificate_types t JOIN certificate_type_versions v ON v.type_id = t.id AND v.version = t.active_version`,
  );
  const committees = await rows<{ id: string; townId: string; sealId: string }>(
    `SELECT o.id, o.parent_id AS "townId", s.id AS "sealId"
       FROM organizations o JOIN seals s ON s.organization_id = o.id AND s.status <> 'revoked'
      WHERE o.id = ANY($1::uuid[])`,
    [options.committeeIds],
  );
  if (committees.length !== options.committeeIds.length) throw new Error('every committee needs a seal');
  const [person] = await rows<{ id: string }>(
    `INSERT INTO people (name, id_number_enc, id_number_hash) VALUES ('张*明', 'history', $1) RETURNING id`,
    [randomBytes(32).toString('hex')],
  );
  const institutions = new Map<string, string>();
  for (const sector of SECTORS) {
    const [row] = await rows<{ id: string }>(
      `INSERT INTO verifier_institutions (name, sector) VALUES ($1, $2) RETURNING id`,
      [`${sector}-${options.seed}-${randomBytes(3).toString('hex')}`, sector],
    );
    institutions.set(sector, row.id);
  }
  const verify =
    options.verify ??
    (async (batch: VerificationRow[]) => {
      await db.query(
        `INSERT INTO verifications (certificate_id, institution_id, sector, method, result, checked_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[], $6::timestamptz[])`,
        [
          batch.map((r) => r.certificateId),
          batch.map((r) => r.institutionId),
          batch.map((r) => r.sector),
          batch.map((r) => r.method),
          batch.map((r) => r.result),
          batch.map((r) => r.checkedAt.toISOString()),
        ],
      );
    });

  const outcome: HistoryOutcome = {
    applications: options.applications,
    issued: 0,
    rejected: 0,
    revoked: 0,
    verifications: 0,
    operations: 0,
  };
  let pendingChecks: VerificationRow[] = [];
  const check = (certificateId: string | null, at: Date) => {
    const sector = random() < 0.35 ? 'anonymous' : pick(SECTORS);
    pendingChecks.push({
      certificateId,
      institutionId: sector === 'anonymous' ? null : institutions.get(sector)!,
      sector,
      method: sector === 'anonymous' ? pick(['qr', 'manual', 'pdf'] as const) : 'api',
      result: certificateId ? 'valid' : 'unknown',
      checkedAt: at,
    });
  };

  const plans: Op[][] = [];
  for (let i = 0; i < options.applications; i++) {
    const id = randomUUID();
    const type = pick(types);
    const committee = pick(committees);
    let t = new Date(options.start.getTime() + random() * options.spanDays * 24 * HOUR);
    const later = (maxHours: number) => (t = new Date(t.getTime() + (0.05 + random() * maxHours) * HOUR));
    const ops: Op[] = [];
    const at = () => t.toISOString();
    const reference = `SQ${options.seed}-${i}`.slice(0, 24);
    ops.push(
      () =>
        db.query(
          `INSERT INTO applications (id, reference_no, type_code, type_version_id, committee_id, town_id, applicant_id,
                                   applicant_name_masked, status, form_enc, time_limit_working_days, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, '张*明', 'draft', 'history', $8, $9)`,
          [id, reference, type.code, type.versionId, committee.id, committee.townId, person.id, type.limit, at()],
        ) as Promise<void>,
    );
    if (random() < 0.05) {
      plans.push(ops); // a draft never submitted
      continue;
    }
    const submittedAt = later(48);
    ops.push(
      () =>
        db.query(
          `UPDATE applications SET status = 'submitted', submitted_at = $2::timestamptz, round = 1,
                  clock_running_since = ($2::timestamptz AT TIME ZONE 'Asia/Shanghai')::date WHERE id = $1`,
          [id, submittedAt.toISOString()],
        ) as Promise<void>,
    );
    if (random() < 0.08) {
      plans.push(ops); // waiting for the committee
      continue;
    }
    ops.push(() => db.query(`UPDATE applications SET status = 'in_review' WHERE id = $1`, [id]) as Promise<void>);
    let clock = 0;
    const supplements = random() < 0.6 ? 0 : random() < 0.7 ? 1 : 2;
    let round = 1;
    let withdrawn = false;
    for (let s = 0; s < supplements && !withdrawn; s++) {
      const requestRound = round;
      const requestedAt = later(60).toISOString();
      clock += Math.floor(random() * 3);
      const used = clock;
      ops.push(async () => {
        await db.query(
          `INSERT INTO supplement_requests (application_id, round, items, requested_by, requested_at) VALUES ($1, $2, '[]', $3, $4)`,
          [id, requestRound, person.id, requestedAt],
        );
        await db.query(
          `UPDATE applications SET status = 'supplement_requested', clock_used_working_days = $2, clock_running_since = NULL WHERE id = $1`,
          [id, used],
        );
      });
      if (random() < 0.1) {
        withdrawn = true;
        ops.push(() => db.query(`UPDATE applications SET status = 'withdrawn' WHERE id = $1`, [id]) as Promise<void>);
        break;
      }
      round += 1;
      const answeredAt = later(96).toISOString();
      const nextRound = round;
      ops.push(async () => {
        await db.query(`UPDATE supplement_requests SET answered_at = $3 WHERE application_id = $1 AND round = $2`, [
          id,
          requestRound,
          answeredAt,
        ]);
        await db.query(
          `UPDATE applications SET status = 'in_review', round = $2,
                  clock_running_since = ($3::timestamptz AT TIME ZONE 'Asia/Shanghai')::date WHERE id = $1`,
          [id, nextRound, answeredAt],
        );
      });
    }
    if (withdrawn) {
      plans.push(ops);
      continue;
    }
    const fate = random();
    clock += Math.floor(random() * (type.limit + 3));
    const used = clock;
    if (fate < 0.1) {
      plans.push(ops); // still in review
      continue;
    }
    if (fate < 0.25) {
      const decidedAt = later(120).toISOString();
      outcome.rejected += 1;
      ops.push(
        () =>
          db.query(
            `UPDATE applications SET status = 'rejected', decided_at = $2, clock_used_working_days = $3, clock_running_since = NULL,
                    rejection_reason = '材料不符' WHERE id = $1`,
            [id, decidedAt, used],
          ) as Promise<void>,
      );
      plans.push(ops);
      continue;
    }
    if (fate < 0.3) {
      ops.push(() => db.query(`UPDATE applications SET status = 'withdrawn' WHERE id = $1`, [id]) as Promise<void>);
      plans.push(ops);
      continue;
    }
    const decidedAt = later(120).toISOString();
    ops.push(
      () =>
        db.query(
          `UPDATE applications SET status = 'approved', decided_at = $2, approved_by = $3, clock_used_working_days = $4,
                  clock_running_since = NULL WHERE id = $1`,
          [id, decidedAt, person.id, used],
        ) as Promise<void>,
    );
    const certificateId = randomUUID();
    const issuedAt = later(0.5);
    // The signature follows the number by up to two minutes: now and then on the next day.
    const signedAt = new Date(issuedAt.getTime() + random() * 120_000);
    ops.push(
      () =>
        db.query(
          `INSERT INTO certificates (id, application_id, number, status, type_version_id, committee_id, verification_code_enc,
                                     holder_name_masked, holder_id_masked, issued_at, valid_until)
           VALUES ($1, $2, $3, 'pending', $4, $5, 'code', '张*明', '4401**********1234', $6, $6::timestamptz + interval '1 year')`,
          [certificateId, id, `H${options.seed}-${i}`, type.versionId, committee.id, issuedAt.toISOString()],
        ) as Promise<void>,
    );
    if (random() < 0.03) {
      plans.push(ops); // the issuer crashed: the pending row waits for a retry
      continue;
    }
    outcome.issued += 1;
    ops.push(async () => {
      await db.query(`UPDATE applications SET status = 'issued' WHERE id = $1`, [id]);
      await db.query(`UPDATE certificates SET status = 'issued', seal_id = $2, signed_at = $3 WHERE id = $1`, [
        certificateId,
        committee.sealId,
        signedAt.toISOString(),
      ]);
    });
    const checks = Math.floor(random() * 4);
    for (let c = 0; c < checks; c++) {
      const checkedAt = new Date(signedAt.getTime() + random() * 60 * 24 * HOUR);
      ops.push(async () => check(certificateId, checkedAt));
    }
    if (random() < 0.12) {
      outcome.revoked += 1;
      const revokedAt = new Date(signedAt.getTime() + random() * 40 * 24 * HOUR).toISOString();
      ops.push(
        () =>
          db.query(
            `UPDATE certificates SET status = 'revoked', revoked_at = $2, revocation_reason = '信息有误', revoked_by = $3 WHERE id = $1`,
            [certificateId, revokedAt, person.id],
          ) as Promise<void>,
      );
    }
    if (random() < 0.2) {
      const guessedAt = new Date(options.start.getTime() + random() * options.spanDays * 24 * HOUR);
      ops.push(async () => check(null, guessedAt));
    }
    plans.push(ops);
  }

  const everyOps = options.everyOps ?? 50;
  const open = plans.map((ops) => ({ ops, next: 0 }));
  while (open.length > 0) {
    const index = Math.floor(random() * open.length);
    const plan = open[index];
    await plan.ops[plan.next++]();
    if (plan.next === plan.ops.length) open.splice(index, 1);
    outcome.operations += 1;
    if (pendingChecks.length >= 20 || (pendingChecks.length > 0 && random() < 0.02)) {
      outcome.verifications += pendingChecks.length;
      await verify(pendingChecks);
      pendingChecks = [];
    }
    if (options.between && outcome.operations % everyOps === 0) await options.between(outcome.operations);
  }
  if (pendingChecks.length > 0) {
    outcome.verifications += pendingChecks.length;
    await verify(pendingChecks);
  }
  return outcome;
}
