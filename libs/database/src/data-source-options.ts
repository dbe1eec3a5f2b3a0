import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import type { DatabaseConfig } from '@zhengming/config';

export interface SchemaParts {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/**
 * The one place where TypeORM options are made, for the API, the worker, the CLI and the tests.
 * `synchronize` is never on: the schema only changes through migrations.
 */
export function buildDataSourceOptions(
  config: DatabaseConfig,
  schema: SchemaParts,
  embeddedUrl?: string,
): DataSourceOptions {
  const url = config.mode === 'server' ? config.url : embeddedUrl;
  if (!url) throw new Error('embedded PostgreSQL must be started before the data source is made');
  return {
    type: 'postgres',
    url,
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    migrationsRun: config.migrateOnStart,
    synchronize: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    applicationName: 'zhengming',
    // PGlite has exactly one connection: a pool of one makes every access wait its turn.
    extra: { max: config.mode === 'embedded' ? 1 : config.poolSize },
  };
}
