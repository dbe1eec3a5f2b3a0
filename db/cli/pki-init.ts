import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
    const pki = new PkiService(dataSource, keys, config.http);
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
 * A key for a time-stamping unit (tsa-sim in development and tests) with its certificate from the district
 * issuing CA, written as tsa.key (PKCS#8, mode 0600), tsa.pem and chain.pem (issuing CA, root) into `dir`:
 * the files tsa-sim's TSA_SIM_KEY_FILE, TSA_SIM_CERT_FILE and TSA_SIM_CHAIN_FILE take.
 */
export async function certifyTimestampingUnit(dataSource: DataSource, config: AppConfig, dir: string): Promise<string> {
  const store = createKeyStore(config.signing);
  try {
    const pki = new PkiService(dataSource, new SigningKeysService(store, config.signing), config.http);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issued = await pki.certifyTimestampingUnit(
      publicKey.export({ format: 'der', type: 'spki' }),
      '增城区电子证明时间戳服务（测试）',
    );
    const { issuing, root } = await pki.chain();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'tsa.key'), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    await writeFile(join(dir, 'tsa.pem'), new X509Certificate(issued.der).toString());
    await writeFile(
      join(dir, 'chain.pem'),
      [issuing, root].map((ca) => new X509Certificate(ca.certificateDer).toString()).join(''),
    );
    return `time-stamping unit certified (serial ${issued.serialHex}, until ${issued.notAfter.toISOString().slice(0, 10)}): ${dir}/tsa.key, tsa.pem, chain.pem`;
  } finally {
    await store.close();
  }
}

/**
 * `npm run pki:init [-- --export-root <file.pem>] [--tsa-dir <dir>]`: creates the district PKI and the
 * committee seals (the embedded first start does it too), writes the root certificate where asked, for
 * a relying party to import (e.g. `certutil -A -t CT,C,C` for pdfsig), and certifies a key for tsa-sim.
 */
if (require.main === module) {
  const { values } = parseArgs({ options: { 'export-root': { type: 'string' }, 'tsa-dir': { type: 'string' } } });
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
    if (values['tsa-dir']) {
      process.stdout.write(`${await certifyTimestampingUnit(dataSource, config, values['tsa-dir'])}\n`);
    }
  });
}
