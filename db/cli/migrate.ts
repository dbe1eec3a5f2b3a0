import { runWithDataSource } from './with-data-source';
import { seedReferenceData } from '../seed';

/** `npm run db:migrate [-- --seed]`: applies pending migrations, and seeds the reference data when asked. */
void runWithDataSource(async (dataSource) => {
  process.stdout.write(`migrations applied: ${dataSource.migrations.length} known, none pending\n`);
  if (process.argv.includes('--seed')) {
    const report = await seedReferenceData(dataSource);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
});
