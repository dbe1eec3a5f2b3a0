import type { DataSource } from 'typeorm';
import type { AppConfig } from '@zhengming/config';
import { createKeyStore, PkiService, SealsService, SigningKeysService } from '@zhengming/signing';
import { runWithDataSource } from './with-data-source';

/** The district CAs and a seal for every active committee; idempotent, so safe to run again. */
export async function initializePki(dataSource: DataSource, config: AppConfig): Promise<string> {
  const store = createKeyStore(config.signing);
  try {
    const keys = new SigningKeysService(store, config.signing);
    const pki = new PkiService(dataSource, keys);
    const { created, chain } = await pki.initialize();
    const seals = await new SealsService(dataSource, pki, keys).ensureCommitteeSeals();
    return [
      `key store: ${store.kind}, algorithm: ${config.signing.algorithm}`,
      `root CA: ${chain.root.subject} (serial ${chain.root.serialHex}, until ${chain.root.notAfter.toISOString().slice(0, 10)})${created ? ' — created' : ''}`,
      `issuing CA: ${chain.issuing.subject} (serial ${chain.issuing.serialHex})`,
      `committee seals: ${seals.total} (${seals.created} created now)`,
    ].join('\n');
  } finally {
    await store.close();
  }
}

/** `npm run pki:init`: creates the district PKI and the committee seals (the embedded first start does it too). */
if (require.main === module) {
  void runWithDataSource(async (dataSource, config) => {
    process.stdout.write(`${await initializePki(dataSource, config)}\n`);
  });
}
