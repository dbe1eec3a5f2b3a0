import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadRuntimeConfig } from '@zhengming/config';
import { buildDataSourceOptions } from '@zhengming/database';
import { schema } from './schema';

/**
 * The data source for the TypeORM CLI (`typeorm migration:show -d dist/db/data-source.js`). It needs
 * a server: DATABASE_URL must be set. The embedded database is migrated by the application itself.
 */
const config = loadRuntimeConfig();
if (config.database.mode !== 'server') {
  throw new Error('DATABASE_URL must be set to use the TypeORM CLI');
}
export default new DataSource({
  ...buildDataSourceOptions(config.database, schema),
  migrationsRun: false,
});
