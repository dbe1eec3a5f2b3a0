import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import type { DatabaseConfig } from '@zhengming/config';

export interface SchemaParts {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/** How the system's processes name their connections to PostgreSQL (`pg_stat_activity.application_name`). */
export const APPLICATION_NAME = 'zhengming';

/**
 * The one place where TypeORM options are made, for the API, the worker, the CLI and the tests.
 * `synchronize` is never on: the schema only changes through migrations. A process that must tell its
 * own connections from the system's (the history seed) names them otherwise.
 */
export function buildDataSourceOptions(
  config: DatabaseConfig,
  schema: SchemaParts,
  embeddedUrl?: string,
  applicationName = APPLICATION_NAME,
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
    applicationName,
    // PGlite has exactly one connection: a pool of one makes every access wait its turn.
    extra: { max: config.mode === 'embedded' ? 1 : config.poolSize },
  };
}
