import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@zhengming/config';
import {
  CertificateAuthorityEntity,
  createKeyStore,
  PkiService,
  SealsService,
  SigningKeysService,
} from '@zhengming/signing';
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
      seals.total === 0
        ? 'committee seals: none, the committees are not seeded yet: run `npm run db:migrate -- --seed` (it makes the seals too)'
        : `committee seals: ${seals.total} (${seals.created} created now)`,
    ].join('\n');
  } finally {
    await store.close();
  }
}

/**
 * `npm run pki:init [-- --export-root <file.pem>]`: creates the district PKI and the committee seals
 * (the embedded first start does it too), and writes the root certificate where asked, for a relying
 * party to import (e.g. `certutil -A -t CT,C,C` for pdfsig).
 */
if (require.main === module) {
  const { values } = parseArgs({ options: { 'export-root': { type: 'string' } } });
  void runWithDataSource(async (dataSource, config) => {
    process.stdout.write(`${await initializePki(dataSource, config)}\n`);
    const target = values['export-root'];
    if (target) {
      const root = await dataSource
        .getRepository(CertificateAuthorityEntity)
        .findOneByOrFail({ kind: 'root', active: true });
      await writeFile(target, new X509Certificate(root.certificateDer).toString());
      process.stdout.write(`root certificate written to ${target}\n`);
    }
  });
}
