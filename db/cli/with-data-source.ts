import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadRuntimeConfig, ConfigValidationError, type AppConfig } from '@zhengming/config';
import { buildDataSourceOptions, EmbeddedPostgres } from '@zhengming/database';
import { schema } from '../schema';

/**
 * Runs a command-line task against the configured database (DATABASE_URL, or the embedded one in
 * its data folder), with migrations applied first, and exits with a clear message on failure.
 */
export async function runWithDataSource(
  task: (dataSource: DataSource, config: AppConfig) => Promise<number | void>,
): Promise<void> {
  let embedded: EmbeddedPostgres | undefined;
  let dataSource: DataSource | undefined;
  let exitCode = 0;
  try {
    const config = loadRuntimeConfig();
    if (config.database.mode === 'embedded') embedded = await EmbeddedPostgres.start(config.database.dataDir);
    dataSource = new DataSource({
      ...buildDataSourceOptions(config.database, schema, embedded?.url),
      migrationsRun: true,
    });
    await dataSource.initialize();
    exitCode = (await task(dataSource, config)) ?? 0;
  } catch (error) {
    exitCode = 1;
    process.stderr.write(`${error instanceof ConfigValidationError ? error.message : describe(error)}\n`);
  } finally {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
  process.exitCode = exitCode;
}

function describe(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return `${error.code}: ${error.message}`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
