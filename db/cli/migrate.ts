import { runWithDataSource } from './with-data-source';
import { PiiCipher } from '@zhengming/pii';
import { seedReferenceData } from '../seed';

/** `npm run db:migrate [-- --seed]`: applies pending migrations, and seeds the reference data when asked. */
void runWithDataSource(async (dataSource, config) => {
  process.stdout.write(`migrations applied: ${dataSource.migrations.length} known, none pending\n`);
  if (process.argv.includes('--seed')) {
    const report = await seedReferenceData(dataSource, new PiiCipher(config.pii));
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
});
