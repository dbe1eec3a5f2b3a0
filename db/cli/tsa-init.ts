import { createKeyStore, PkiService, SigningKeysService } from '@zhengming/signing';
import { certifyTimestampingUnit } from './pki-init';
import { runWithDataSource } from './with-data-source';

/**
 * `node dist/db/cli/tsa-init.js <dir>`: the district CAs if there are none yet, then a key and a
 * certificate for tsa-sim in `<dir>` (tsa.key, tsa.pem, chain.pem). What `npm start` runs before it
 * starts tsa-sim, and the end-to-end tests before theirs: the stand-in's tokens chain to the district
 * root of the database the API uses.
 */
if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: tsa-init <dir>\n');
    process.exit(64);
  }
  void runWithDataSource(async (dataSource, config) => {
    const store = createKeyStore(config.signing);
    try {
      await new PkiService(dataSource, new SigningKeysService(store, config.signing)).initialize();
    } finally {
      await store.close();
    }
    process.stdout.write(`${await certifyTimestampingUnit(dataSource, config, dir)}\n`);
  });
}
