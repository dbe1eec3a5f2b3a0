import { parseArgs } from 'node:util';
import { WorkingCalendarService, shanghaiDate } from '@zhengming/applications';
import { SystemClock } from '@zhengming/clock';
import { PiiCipher } from '@zhengming/pii';
import { planHistory, writeHistory, type HistoryCommittee, type HistoryType } from '../seed-history';
import { runWithDataSource } from './with-data-source';

const USAGE = '用法 usage: npm run seed:history -- [--years 3] [--per-year 20000] [--seed 1]\n';

/**
 * `npm run seed:history -- --years 3`: a demonstration history for the statistics dashboard, up to
 * yesterday, written into a database the system has already seeded (committees, seals, types).
 * Refuses to run twice on the same database.
 */
void runWithDataSource(async (dataSource, config) => {
  let values: { years?: string; 'per-year'?: string; seed?: string };
  try {
    values = parseArgs({
      args: process.argv.slice(2),
      options: { years: { type: 'string' }, 'per-year': { type: 'string' }, seed: { type: 'string' } },
    }).values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const years = Number(values.years ?? 3);
  const perYear = Number(values['per-year'] ?? 20_000);
  const seed = Number(values.seed ?? 1);
  if (![years, perYear, seed].every(Number.isInteger) || years < 1 || years > 3 || perYear < 1 || perYear > 500_000) {
    process.stderr.write(`--years 1..3, --per-year 1..500000 and --seed must be whole numbers\n${USAGE}`);
    return 2;
  }
  const [{ seeded }] = (await dataSource.query(
    `SELECT EXISTS (SELECT 1 FROM applications WHERE reference_no LIKE 'HS%') AS seeded`,
  )) as { seeded: boolean }[];
  if (seeded) {
    process.stderr.write('该数据库已有演示历史数据 this database already has a seeded history; nothing written\n');
    return 1;
  }
  const committees: HistoryCommittee[] = await dataSource.query(
    `SELECT c.id, c.code, t.id AS "townId", t.code AS "townCode", s.id AS "sealId"
       FROM organizations c JOIN organizations t ON t.id = c.parent_id
       JOIN LATERAL (SELECT id FROM seals WHERE organization_id = c.id AND status = 'active'
                      ORDER BY created_at DESC LIMIT 1) s ON true
      WHERE c.level = 'committee' AND c.active ORDER BY c.code`,
  );
  const types: HistoryType[] = await dataSource.query(
    `SELECT t.code, v.id AS "versionId", v.number_code AS "numberCode", v.time_limit_working_days AS "limit"
       FROM certificate_types t JOIN certificate_type_versions v ON v.type_id = t.id AND v.version = t.active_version
      WHERE v.number_code IS NOT NULL ORDER BY t.code`,
  );
  if (committees.length === 0 || types.length === 0) {
    process.stderr.write(
      '没有村居印章或证明类型 no committee seals or certificate types: start the system once first\n',
    );
    return 1;
  }
  const calendar = await new WorkingCalendarService(dataSource, new SystemClock()).calendar();
  const until = shanghaiDate(new Date(Date.now() - 86_400_000));
  const options = { seed, years, perYear, until, committees, types, calendar };
  const started = Date.now();
  const plan = planHistory(options);
  process.stdout.write(
    `planned ${plan.applications.length} applications over ${years} years up to ${until} in ${Date.now() - started} ms; writing…\n`,
  );
  const outcome = await writeHistory(dataSource, new PiiCipher(config.pii), options, plan, (line) =>
    process.stdout.write(`${line}\n`),
  );
  process.stdout.write(
    `已写入 written ${outcome.applications} applications (${outcome.issued} issued, ${outcome.rejected} rejected, ` +
      `${outcome.withdrawn} withdrawn, ${outcome.supplementRounds} supplement rounds) and ${outcome.verifications} ` +
      `verifications, ${outcome.from}..${outcome.until}, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return 0;
});
