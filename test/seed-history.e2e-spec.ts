import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { WorkingCalendarService } from '@zhengming/applications';
import { AuditLog } from '@zhengming/audit';
import { SystemClock } from '@zhengming/clock';
import { buildDataSourceOptions } from '@zhengming/database';
import { schema } from '../db/schema';
import { planHistory, type HistoryPlan } from '../db/seed-history';
import { historyInputs } from '../db/seed-history-writer';
import { pdfsig, trustingNssDatabase } from './support/pdf-tools';
import { ROOT, request } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { TEST_SECRETS, testCipher } from './support/test-secrets';
import { startSystem, type RunningSystem } from './support/test-system';

const run = promisify(execFile);

const SEED = 7;
const YEARS = 3;
const PER_YEAR = 400;
/** How long a step may take: its records carry its planned moment plus the (real) time it ran for. */
const STEP_MS = 30_000;

interface HistoryRow {
  key: string;
  id: string;
  status: string;
  type_code: string;
  committee: string;
  created_at: Date;
  submitted_at: Date | null;
  decided_at: Date | null;
  withdrawn_at: Date | null;
  used: number;
  issued_at: Date | null;
  signed_at: Date | null;
  valid_until: Date | null;
  revoked_at: Date | null;
  supplements: { requested: string; answered: string | null }[] | null;
  checks: { at: string; result: string }[] | null;
}

/**
 * `npm run seed:history -- --years 3` on a system started once and stopped: the built CLI takes three
 * years of applications through the domain services. The test plans the same history again (the plan
 * is pure and seeded) and finds every application, decision, certificate and check where the plan put
 * it, with the timeline, audit records, notices and outbox work the services leave in real use; the
 * PDFs are sealed and signed and pass pdfsig and the PDF check; the roll-ups agree with a recount;
 * and the restarted system's dashboard shows it.
 */
describe('demo history (seed:history)', () => {
  let db: TestDatabase;
  let files: string;
  let system: RunningSystem | undefined;
  let ds: DataSource;
  let plan: HistoryPlan;
  let stdout = '';
  let whileRunning: { code: number; stdout: string; stderr: string };

  const cli = (args: string[]) =>
    run(process.execPath, [join(ROOT, 'dist/db/cli/seed-history.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, STORAGE_LOCAL_DIR: files, ...TEST_SECRETS },
      maxBuffer: 1 << 22,
    }).then(
      (result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr,
      }),
    );

  beforeAll(async () => {
    db = await createTestDatabase('seed_history');
    files = await mkdtemp(join(tmpdir(), 'zm-history-files-'));
    const env = { DATABASE_URL: db.url, STORAGE_LOCAL_DIR: files, REPORTS_REFRESH_SECONDS: '3600' };
    // Started once, the system makes the district, its seals, the types and the staff.
    system = await startSystem(env);
    whileRunning = await cli(['--years', '1', '--per-year', '10']);
    await system.stop();
    system = undefined;
    const result = await cli(['--years', String(YEARS), '--per-year', String(PER_YEAR), '--seed', String(SEED)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    stdout = result.stdout;
    system = await startSystem(env);
    ds = await new DataSource(
      buildDataSourceOptions(
        { mode: 'server', url: db.url, poolSize: 2, migrateOnStart: false, seedOnStart: false },
        schema,
        undefined,
        'zhengming-test',
      ),
    ).initialize();
    const until = /up to (\d{4}-\d{2}-\d{2})/.exec(stdout)![1];
    const calendar = await new WorkingCalendarService(ds, new SystemClock()).calendar();
    plan = planHistory({ seed: SEED, years: YEARS, perYear: PER_YEAR, until, calendar, ...(await historyInputs(ds)) });
  }, 600_000);
  afterAll(async () => {
    await ds?.destroy();
    await system?.stop();
    await db?.drop();
    await rm(files, { recursive: true, force: true });
  });

  it('refuses while the system runs, reports what it wrote, shows its progress, and refuses to write it twice', async () => {
    expect(whileRunning.code).toBe(1);
    expect(whileRunning.stderr).toContain('stop npm start and the worker');
    const [raw] = await ds.query(
      `SELECT (SELECT count(*)::int FROM applications) AS applications,
              (SELECT count(*)::int FROM certificates) AS issued,
              (SELECT count(*)::int FROM verifications) AS verifications`,
    );
    expect(raw.applications).toBe(plan.applications.length);
    expect(stdout).toContain(`written ${raw.applications} applications (${raw.issued} issued, `);
    expect(stdout).toContain(`and ${raw.verifications} verifications`);
    expect(stdout).toMatch(
      new RegExp(
        `\\n  ${raw.applications} / ${raw.applications} applications, ${raw.issued} certificates, [\\d.]+ applications/s`,
      ),
    );
    const again = await cli(['--years', '1', '--per-year', '10']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already has a seeded history');
  }, 60_000);

  it('puts every application, supplement, decision, certificate, revocation and check at the time the plan gives it', async () => {
    const rows: HistoryRow[] = await ds.query(
      `SELECT k.key, a.id, a.status, a.type_code, o.code AS committee, a.created_at, a.submitted_at, a.decided_at,
              (SELECT max(e.occurred_at) FROM application_events e
                WHERE e.application_id = a.id AND e.action = 'withdraw') AS withdrawn_at,
              a.clock_used_working_days AS used, x.issued_at, x.signed_at, x.valid_until, x.revoked_at,
              (SELECT json_agg(json_build_object('requested', s.requested_at, 'answered', s.answered_at) ORDER BY s.round)
                 FROM supplement_requests s WHERE s.application_id = a.id) AS supplements,
              (SELECT json_agg(json_build_object('at', v.checked_at, 'result', v.result) ORDER BY v.checked_at)
                 FROM verifications v WHERE v.certificate_id = x.id) AS checks
         FROM idempotency_keys k
         JOIN applications a ON a.id = k.application_id
         JOIN organizations o ON o.id = a.committee_id
         LEFT JOIN certificates x ON x.application_id = a.id
        WHERE k.scope = 'create' AND k.key LIKE $1`,
      [`history-${SEED}-%`],
    );
    expect(rows).toHaveLength(plan.applications.length);
    const { committees, types } = await historyInputs(ds);
    const problems: string[] = [];
    const at = (what: string, actual: Date | string | null | undefined, planned: Date | null) => {
      const late = actual == null ? null : new Date(actual).getTime() - (planned?.getTime() ?? NaN);
      if (planned === null ? actual != null : late === null || !(late >= 0 && late < STEP_MS)) {
        problems.push(
          `${what}: ${actual == null ? actual : new Date(actual).toISOString()}, planned ${planned?.toISOString()}`,
        );
      }
    };
    for (const row of rows) {
      const index = Number(row.key.split('-').at(-1)) - 1;
      const a = plan.applications[index];
      const name = `#${index + 1} ${row.id}`;
      if (row.status !== a.outcome) problems.push(`${name} is ${row.status}, planned ${a.outcome}`);
      if (row.committee !== committees[a.committee].code || row.type_code !== types[a.type].code) {
        problems.push(`${name} is ${row.type_code} at ${row.committee}`);
      }
      if (row.used !== a.clock.usedWorkingDays)
        problems.push(`${name} used ${row.used} working days, planned ${a.clock.usedWorkingDays}`);
      at(`${name} created`, row.created_at, a.createdAt);
      at(`${name} submitted`, row.submitted_at, a.submittedAt);
      at(`${name} decided`, row.decided_at, a.outcome === 'withdrawn' ? null : a.closedAt);
      at(`${name} withdrawn`, row.withdrawn_at, a.outcome === 'withdrawn' ? a.closedAt : null);
      at(`${name} issued`, row.issued_at, a.issuedAt);
      at(`${name} revoked`, row.revoked_at, a.revokedAt);
      const supplements = row.supplements ?? [];
      if (supplements.length !== a.supplements.length)
        problems.push(`${name} has ${supplements.length} supplement rounds`);
      a.supplements.forEach((s, i) => {
        at(`${name} supplement ${i + 1} requested`, supplements[i]?.requested, s.requestedAt);
        at(`${name} supplement ${i + 1} answered`, supplements[i]?.answered, s.answeredAt);
      });
      const checks = row.checks ?? [];
      const planned = [...a.checks].sort((x, y) => x.at.getTime() - y.at.getTime());
      if (checks.length !== planned.length) problems.push(`${name} was checked ${checks.length} times`);
      planned.forEach((check, i) => {
        at(`${name} check ${i + 1}`, checks[i]?.at, check.at);
        // What the verification service answered then: revoked after the revocation, expired after the validity.
        const expected =
          a.revokedAt && check.at > a.revokedAt ? 'revoked' : check.at >= row.valid_until! ? 'expired' : 'valid';
        if (checks[i] && checks[i].result !== expected)
          problems.push(`${name} check ${i + 1} answered ${checks[i].result}`);
      });
    }
    expect(problems).toEqual([]);

    // Nothing the history wrote carries the present: every record after the seed's own entry is in the past.
    const columns = {
      applications: ['created_at', 'updated_at', 'submitted_at', 'decided_at'],
      application_events: ['occurred_at'],
      application_rounds: ['submitted_at'],
      application_materials: ['created_at'],
      supplement_requests: ['requested_at', 'answered_at'],
      idempotency_keys: ['created_at'],
      certificates: ['created_at', 'updated_at', 'issued_at', 'signed_at', 'revoked_at'],
      notifications: ['created_at', 'sms_sent_at'],
      outbox: ['created_at', 'done_at'],
      verifications: ['checked_at'],
      verifier_institutions: ['created_at'],
      staff_roles: ['granted_at'],
    };
    const [{ seeded }] = await ds.query(`SELECT occurred_at AS seeded FROM audit_events WHERE action = 'history.seed'`);
    const present = await ds.query(
      Object.entries(columns)
        .flatMap(([table, names]) =>
          names.map((c) => `SELECT '${table}.${c}' AS "column" FROM ${table} WHERE ${c} >= $1`),
        )
        .join(' UNION ')
        .concat(` UNION SELECT 'audit_events' FROM audit_events WHERE occurred_at >= $1 AND action <> 'history.seed'`),
      [seeded],
    );
    expect(present).toEqual([]);

    const [{ stray }] = await ds.query(
      `SELECT count(*)::int AS stray FROM verifications WHERE certificate_id IS NULL AND result = 'unknown'`,
    );
    expect(stray).toBe(plan.strayChecks.length);
  }, 60_000);

  it('went through the services: each step has its timeline entry and audit record, its notices, and no outbox work is left', async () => {
    const timeline = await ds.query(`SELECT action, count(*)::int AS n FROM application_events GROUP BY 1 ORDER BY 1`);
    const audited = await ds.query(
      `SELECT substring(action FROM 13) AS action, count(*)::int AS n FROM audit_events
        WHERE action LIKE 'application.%' AND action NOT LIKE 'application.material.%' GROUP BY 1 ORDER BY 1`,
    );
    expect(audited).toEqual(timeline);
    const [counts] = await ds.query(
      `SELECT (SELECT count(*)::int FROM certificates WHERE status <> 'pending') AS certificates,
              (SELECT count(*)::int FROM certificates WHERE status = 'revoked') AS revoked,
              (SELECT count(*)::int FROM application_events WHERE action = 'issue' AND actor_role = 'system') AS issue_events,
              (SELECT count(*)::int FROM audit_events WHERE action = 'certificate.revoke') AS revocations,
              (SELECT count(*)::int FROM application_materials) AS materials,
              (SELECT count(*)::int FROM notifications WHERE sms_to_enc IS NOT NULL AND sms_sent_at IS NULL) AS unsent`,
    );
    expect(counts.issue_events).toBe(counts.certificates);
    expect(counts.revocations).toBe(counts.revoked);
    expect(counts.materials).toBeGreaterThanOrEqual(2 * plan.applications.length);
    expect(counts.unsent).toBe(0);
    const outbox = await ds.query(
      `SELECT topic, status, count(*)::int AS n, bool_and(done_at >= created_at) AS in_order FROM outbox GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(outbox).toEqual([
      { topic: 'certificate.issue', status: 'done', n: counts.certificates, in_order: true },
      { topic: 'notification.sms', status: 'done', n: expect.any(Number), in_order: true },
    ]);
    // The audit log's hash chain holds over the whole history.
    expect(await new AuditLog(ds, new SystemClock()).verify()).toMatchObject({ ok: true });

    // Each record of a step carries the step's moment: the timeline, the audit log, the notices.
    const [stamps] = await ds.query(
      `SELECT bool_and(e.occurred_at = a.submitted_at) FILTER (WHERE e.action = 'submit') AS submit,
              bool_and(e.occurred_at = a.decided_at) FILTER (WHERE e.action IN ('approve', 'reject')) AS decision,
              bool_and(x.issued_at < e.occurred_at AND e.occurred_at < x.issued_at + interval '30 seconds')
                FILTER (WHERE e.action = 'issue') AS issue,
              bool_and(EXISTS (SELECT 1 FROM audit_events u
                                WHERE u.object_type = 'application' AND u.object_id = a.id::text AND u.action = 'application.' || e.action
                                  AND u.occurred_at BETWEEN e.occurred_at AND e.occurred_at + interval '30 seconds')) AS audited,
              bool_and(EXISTS (SELECT 1 FROM notifications n WHERE n.application_id = a.id AND n.event = e.action
                                  AND n.created_at BETWEEN e.occurred_at AND e.occurred_at + interval '30 seconds'))
                FILTER (WHERE e.action IN ('submit', 'accept', 'approve', 'reject', 'issue')) AS noticed
         FROM application_events e
         JOIN applications a ON a.id = e.application_id
         LEFT JOIN certificates x ON x.application_id = a.id`,
    );
    expect(stamps).toEqual({ submit: true, decision: true, issue: true, audited: true, noticed: true });
  }, 60_000);

  it('issues PDFs sealed and signed today for certificates of their day, which pdfsig and the PDF check accept', async () => {
    const samples: { id: string; number: string; issued_at: Date; status: string; code: string }[] = await ds.query(
      `(SELECT application_id AS id, number, issued_at, status, verification_code_enc AS code FROM certificates ORDER BY issued_at LIMIT 1)
       UNION ALL (SELECT application_id, number, issued_at, status, verification_code_enc FROM certificates
                   WHERE status = 'revoked' ORDER BY issued_at LIMIT 1)
       UNION ALL (SELECT application_id, number, issued_at, status, verification_code_enc FROM certificates ORDER BY issued_at DESC LIMIT 1)`,
    );
    expect(samples.length).toBeGreaterThanOrEqual(2);
    const [root] = await ds.query(`SELECT certificate_der FROM certificate_authorities WHERE kind = 'root' AND active`);
    const nss = trustingNssDatabase(root.certificate_der);
    const admin = { authorization: `Bearer ${await system!.token('admin')}` };
    const cipher = testCipher();
    const [{ seeded }] = await ds.query(`SELECT occurred_at AS seeded FROM audit_events WHERE action = 'history.seed'`);
    try {
      for (const sample of samples) {
        const download = await fetch(`${system!.api.baseUrl}/api/applications/${sample.id}/certificate.pdf`, {
          headers: admin,
        });
        expect(download.status).toBe(200);
        const pdf = Buffer.from(await download.arrayBuffer());
        const file = join(files, `${sample.number}.pdf`);
        await writeFile(file, pdf);
        const signatures = await pdfsig(file, nss.dir);
        expect(signatures).toHaveLength(2);
        for (const signature of signatures) expect(signature).toMatchObject({ valid: true, trusted: true });
        expect(signatures[1].totalDocumentSigned).toBe(true);

        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'certificate.pdf');
        const checked = await request(system!.api.baseUrl, '/api/verifications/pdf', { method: 'POST', body: form });
        expect(checked.status).toBe(200);
        const verdict = checked.body as {
          documentMatches: boolean;
          reasons: string[];
          certificate: { number: string; issuedAt: string };
          signatures: { intact: boolean; chainsToRoot: boolean; signingTime: string }[];
        };
        expect(verdict.documentMatches).toBe(true);
        expect(verdict.certificate.number).toBe(sample.number);
        expect(new Date(verdict.certificate.issuedAt).getTime()).toBe(new Date(sample.issued_at).getTime());
        for (const signature of verdict.signatures) {
          expect(signature).toMatchObject({ intact: true, chainsToRoot: true });
          // Sealed when the seed ran (the seal's certificate is from the system's first start), not back then.
          expect(Date.parse(signature.signingTime)).toBeGreaterThanOrEqual(new Date(seeded).getTime() - 1000);
        }
        const today = sample.status === 'revoked' ? ['certificate_revoked'] : [];
        expect(verdict.reasons.filter((r) => r !== 'certificate_expired')).toEqual(today);

        // The printed number and code, checked as anyone would.
        const code = cipher.decrypt('verificationCode', sample.code);
        const verified = await request(
          system!.api.baseUrl,
          `/api/verifications/${encodeURIComponent(sample.number)}?code=${code}`,
        );
        expect(verified.status).toBe(200);
        expect((verified.body as { status: string }).status).toBe(
          sample.status === 'revoked'
            ? 'revoked'
            : verdict.reasons.includes('certificate_expired')
              ? 'expired'
              : 'valid',
        );
      }
    } finally {
      nss.dispose();
    }
  }, 120_000);

  it('leaves roll-ups that agree exactly with a recount of the raw tables', async () => {
    const rollup = await ds.query(
      `SELECT to_char(month, 'YYYY-MM') AS month, sum(submitted)::int AS submitted, sum(issued)::int AS issued,
              sum(rejected)::int AS rejected, sum(seal_uses)::int AS seal_uses, sum(revoked)::int AS revoked,
              sum(issued_within_limit)::int AS within, sum(supplement_rounds)::int AS rounds
         FROM report_monthly GROUP BY 1 HAVING sum(submitted) + sum(issued) + sum(rejected) + sum(revoked) > 0 ORDER BY 1`,
    );
    const recount = await ds.query(
      `WITH months AS (
         SELECT to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, 1 AS submitted, 0 AS issued,
                0 AS rejected, 0 AS seal_uses, 0 AS revoked, 0 AS within, 0 AS rounds
           FROM applications WHERE submitted_at IS NOT NULL
         UNION ALL
         SELECT to_char(a.decided_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), 0, 0, 1, 0, 0, 0, 0
           FROM applications a WHERE a.status = 'rejected'
         UNION ALL
         SELECT to_char(c.issued_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), 0, 1, 0, 0, 0,
                (a.clock_used_working_days <= a.time_limit_working_days)::int,
                (SELECT count(*)::int FROM supplement_requests s WHERE s.application_id = a.id)
           FROM certificates c JOIN applications a ON a.id = c.application_id WHERE c.status <> 'pending'
         UNION ALL
         SELECT to_char(c.signed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), 0, 0, 0, 1, 0, 0, 0
           FROM certificates c WHERE c.status <> 'pending'
         UNION ALL
         SELECT to_char(c.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), 0, 0, 0, 0, 1, 0, 0
           FROM certificates c WHERE c.revoked_at IS NOT NULL)
       SELECT month, sum(submitted)::int AS submitted, sum(issued)::int AS issued, sum(rejected)::int AS rejected,
              sum(seal_uses)::int AS seal_uses, sum(revoked)::int AS revoked, sum(within)::int AS within,
              sum(rounds)::int AS rounds
         FROM months GROUP BY 1 ORDER BY 1`,
    );
    expect(rollup.length).toBeGreaterThanOrEqual(36);
    expect(rollup).toEqual(recount);

    const checks = await ds.query(
      `SELECT sector, sum(count)::int AS n FROM report_verifications_monthly GROUP BY 1 ORDER BY 1`,
    );
    const rawChecks = await ds.query(`SELECT sector, count(*)::int AS n FROM verifications GROUP BY 1 ORDER BY 1`);
    expect(checks).toEqual(rawChecks);
  }, 30_000);

  it('has the shape of a district’s history: seasons, growth, town sizes, supplements, rejections and sectors', async () => {
    const [rates] = await ds.query(
      `SELECT avg((EXISTS (SELECT 1 FROM supplement_requests s WHERE s.application_id = a.id))::int)::float AS supplemented,
              avg((status = 'rejected')::int)::float AS rejected,
              avg((status = 'issued' AND clock_used_working_days <= time_limit_working_days)::int)::float
                / avg((status = 'issued')::int)::float AS within_limit
         FROM applications a`,
    );
    expect(rates.supplemented).toBeGreaterThan(0.15);
    expect(rates.supplemented).toBeLessThan(0.3);
    expect(rates.rejected).toBeGreaterThan(0.03);
    expect(rates.rejected).toBeLessThan(0.1);
    expect(rates.within_limit).toBeGreaterThan(0.85);

    const byMonth: { month: number; n: number }[] = await ds.query(
      `SELECT extract(month FROM submitted_at AT TIME ZONE 'Asia/Shanghai')::int AS month, count(*)::int AS n
         FROM applications GROUP BY 1`,
    );
    const n = (m: number) => byMonth.find((r) => r.month === m)?.n ?? 0;
    expect(n(2)).toBeLessThan(n(3) * 0.7); // the Spring Festival
    const [{ last, before }] = await ds.query(
      `SELECT count(*) FILTER (WHERE submitted_at >= now() - interval '365 days')::int AS last,
              count(*) FILTER (WHERE submitted_at < now() - interval '365 days'
                                 AND submitted_at >= now() - interval '730 days')::int AS before
         FROM applications`,
    );
    expect(last / before).toBeGreaterThan(1.2); // the service grows
    // 新塘, 荔城, 增江 and 石滩 are big towns: their committees apply more than the mountain villages.
    const [towns] = await ds.query(
      `SELECT avg(n) FILTER (WHERE big)::float AS big, avg(n) FILTER (WHERE NOT big)::float AS small
         FROM (SELECT t.code IN ('440118100', '440118001', '440118002', '440118101') AS big,
                      (SELECT count(*) FROM applications a WHERE a.committee_id = c.id) AS n
                 FROM organizations c JOIN organizations t ON t.id = c.parent_id WHERE c.level = 'committee') x`,
    );
    expect(towns.big).toBeGreaterThan(towns.small * 1.5);
    const sectors: { sector: string }[] = await ds.query(`SELECT DISTINCT sector FROM verifications ORDER BY 1`);
    expect(sectors.map((s) => s.sector)).toEqual(['anonymous', 'bank', 'government', 'other', 'school']);
  }, 30_000);

  it('shows on the restarted system’s reports: the district’s figures, and committee A’s clerk only their committee’s', async () => {
    const [{ from, to }] = await ds.query(
      `SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai' - interval '365 days', 'YYYY-MM-DD') AS from,
              to_char(now() AT TIME ZONE 'Asia/Shanghai' - interval '1 day', 'YYYY-MM-DD') AS to`,
    );
    const get = async (who: string) => {
      const answer = await fetch(`${system!.api.baseUrl}/api/reports/issuance?from=${from}&to=${to}`, {
        headers: { authorization: `Bearer ${await system!.token(who)}` },
      });
      expect(answer.status).toBe(200);
      return ((await answer.json()) as { totals: { certificates: number } }).totals.certificates;
    };
    const [raw] = await ds.query(
      `SELECT count(*)::int AS district, (count(*) FILTER (WHERE o.code = '440118001001'))::int AS committee
         FROM certificates c JOIN organizations o ON o.id = c.committee_id
        WHERE c.status <> 'pending' AND (c.issued_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2`,
      [from, to],
    );
    expect(raw.district).toBeGreaterThan(200);
    expect(await get('admin')).toBe(raw.district);
    expect(await get('clerk-a')).toBe(raw.committee);
  }, 30_000);
});
