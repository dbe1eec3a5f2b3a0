import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { WorkingCalendarService, shanghaiDate } from '@zhengming/applications';
import { ReplayClock } from '@zhengming/clock';
import { ConfigValidationError, loadRuntimeConfig, type AppConfig } from '@zhengming/config';
import { APPLICATION_NAME } from '@zhengming/database';
import { planHistory } from '../seed-history';
import { HISTORY_SEEDED_ACTION, historyInputs, writeHistory } from '../seed-history-writer';
import { SeedHistoryModule } from './seed-history.module';

/**
 * Applications in the last year by default: about 2,700 over three years, a few minutes through the
 * services on two cores (each takes some 170 statements and a signed PDF). Larger histories work the
 * same, at about as many applications a second.
 */
const DEFAULT_PER_YEAR = 1_500;
/**
 * Steps under way at once, of different applications: on two cores the seed's event loop is then busy
 * while PostgreSQL works (2: 92 s, 4: 59–77 s, 8: 41–75 s, 16: 58–63 s for 532 applications, on a
 * machine someone else was loading too). Each step's view reads several rows at once: two connections each.
 */
const CONCURRENCY = 8;
const USAGE = `用法 usage: npm run seed:history -- [--years 3] [--per-year ${DEFAULT_PER_YEAR}] [--seed 1]\n`;

/**
 * `npm run seed:history -- --years 3`: a demonstration history for the statistics dashboard, up to
 * yesterday, taken through the domain services into a database the system has already seeded
 * (committees, seals, types), with the system stopped. Refuses to run twice on the same database.
 */
async function main(): Promise<number> {
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
  const perYear = Number(values['per-year'] ?? DEFAULT_PER_YEAR);
  const seed = Number(values.seed ?? 1);
  if (![years, perYear, seed].every(Number.isInteger) || years < 1 || years > 3 || perYear < 1 || perYear > 500_000) {
    process.stderr.write(`--years 1..3, --per-year 1..500000 and --seed must be whole numbers\n${USAGE}`);
    return 2;
  }
  const loaded = loadRuntimeConfig();
  const config: AppConfig =
    loaded.database.mode === 'server'
      ? { ...loaded, database: { ...loaded.database, poolSize: Math.max(loaded.database.poolSize, 2 * CONCURRENCY) } }
      : loaded;
  const clock = new ReplayClock();
  const app = await NestFactory.createApplicationContext(SeedHistoryModule.forRoot(config, clock), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    const dataSource = app.get(DataSource);
    const refusal = await refusalOf(dataSource, config);
    if (refusal) {
      process.stderr.write(`${refusal}\n`);
      return 1;
    }
    const { committees, types } = await historyInputs(dataSource);
    if (committees.length === 0 || types.length === 0) {
      process.stderr.write(
        '没有村居印章或证明类型 no committee seals or certificate types: start the system once first\n',
      );
      return 1;
    }
    const calendar = await app.get(WorkingCalendarService).calendar();
    const until = shanghaiDate(new Date(Date.now() - 86_400_000));
    const options = { seed, years, perYear, until, committees, types, calendar };
    const started = Date.now();
    const plan = planHistory(options);
    process.stdout.write(
      `planned ${plan.applications.length} applications over ${years} years up to ${until} in ${Date.now() - started} ms; ` +
        `taking them through the services…\n`,
    );
    const outcome = await writeHistory(app, clock, options, plan, {
      concurrency: CONCURRENCY,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(
      `已写入 written ${outcome.applications} applications (${outcome.issued} issued, ${outcome.rejected} rejected, ` +
        `${outcome.withdrawn} withdrawn, ${outcome.supplementRounds} supplement rounds) and ${outcome.verifications} ` +
        `verifications, ${outcome.from}..${outcome.until}, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return 0;
  } finally {
    await app.close();
  }
}

/** Why the seed must not run here: it has run before, or the system is running against this database. */
async function refusalOf(dataSource: DataSource, config: AppConfig): Promise<string | null> {
  const [{ seeded }] = (await dataSource.query(
    `SELECT EXISTS (SELECT 1 FROM audit_events WHERE action = $1)
         OR EXISTS (SELECT 1 FROM applications WHERE reference_no LIKE 'HS%') AS seeded`,
    [HISTORY_SEEDED_ACTION],
  )) as { seeded: boolean }[];
  if (seeded) return '该数据库已有演示历史数据 this database already has a seeded history; nothing written';
  // The embedded database admits one process at a time: if it opened, nothing else has it.
  if (config.database.mode === 'embedded') return null;
  // A relay of the running system would take the rows the history's steps write and work them today.
  const [{ connections }] = (await dataSource.query(
    `SELECT count(*)::int AS connections FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = $1`,
    [APPLICATION_NAME],
  )) as { connections: number }[];
  return connections > 0
    ? `系统正在运行 the system is running against this database (${connections} connections of ${APPLICATION_NAME}): ` +
        'stop npm start and the worker while seed:history runs; nothing written'
    : null;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof ConfigValidationError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
