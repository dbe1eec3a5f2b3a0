import { runWithDataSource } from './with-data-source';
import { PiiCipher } from '@zhengming/pii';
import { seedReferenceData } from '../seed';
import { initializePki } from './pki-init';

/** `npm run db:migrate [-- --seed]`: applies pending migrations, and seeds the reference data, the district PKI and the committee seals when asked. */
void runWithDataSource(async (dataSource, config) => {
  process.stdout.write(`migrations applied: ${dataSource.migrations.length} known, none pending\n`);
  if (process.argv.includes('--seed')) {
    const report = await seedReferenceData(dataSource, new PiiCipher(config.pii));
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.stdout.write(`${await initializePki(dataSource, config)}\n`);
  }
});
