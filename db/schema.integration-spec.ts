import { DataSource } from 'typeorm';
import { buildDataSourceOptions, EmbeddedPostgres, pendingSchemaChanges } from '@zhengming/database';
import { OrganizationEntity } from '@zhengming/organizations';
import { CertificateTypeEntity } from '@zhengming/certificate-types';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { schema } from './schema';
import { seedReferenceData } from './seed';
import { testCipher } from '../test/support/test-secrets';

async function counts(ds: DataSource) {
  const orgs = ds.getRepository(OrganizationEntity);
  return {
    district: await orgs.count({ where: { level: 'district' } }),
    towns: await orgs.count({ where: { level: 'town' } }),
    committees: await orgs.count({ where: { level: 'committee', active: true } }),
    types: await ds.getRepository(CertificateTypeEntity).count(),
  };
}

const settings = { migrateOnStart: true, seedOnStart: false } as const;

describe('migrations and seed', () => {
  describe('on a PostgreSQL server', () => {
    let db: TestDatabase;
    let sut: DataSource;

    beforeAll(async () => {
      db = await createTestDatabase('schema');
      sut = await new DataSource(
        buildDataSourceOptions({ mode: 'server', url: db.url, poolSize: 4, ...settings }, schema),
      ).initialize();
    });
    afterAll(async () => {
      await sut?.destroy();
      await db?.drop();
    });

    it('applies every migration to an empty database and leaves no entity change pending', async () => {
      expect(await sut.showMigrations()).toBe(false);
      expect(await pendingSchemaChanges(sut)).toEqual([]);
    });

    it('seeds exactly 1 district, 13 towns, 366 committees and 5 certificate types, once', async () => {
      const first = await seedReferenceData(sut, testCipher());
      expect(first.committeesImported).toBe(366);
      expect(await counts(sut)).toEqual({ district: 1, towns: 13, committees: 366, types: 5 });

      const second = await seedReferenceData(sut, testCipher());
      expect(second.committeesImported).toBeNull();
      expect(Object.values(second.types)).toEqual(Array(5).fill('unchanged'));
      expect(await counts(sut)).toEqual({ district: 1, towns: 13, committees: 366, types: 5 });
    });

    it('reverts every migration cleanly', async () => {
      for (let i = 0; i < sut.migrations.length; i++) await sut.undoLastMigration();
      const tables = await sut.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`,
      );
      expect(tables).toEqual([]);
      await sut.runMigrations();
      expect(await pendingSchemaChanges(sut)).toEqual([]);
    });
  });

  describe('on embedded PostgreSQL (PGlite)', () => {
    let embedded: EmbeddedPostgres;
    let sut: DataSource;

    beforeAll(async () => {
      embedded = await EmbeddedPostgres.start('memory://');
      sut = await new DataSource(
        buildDataSourceOptions({ mode: 'embedded', dataDir: 'memory://', ...settings }, schema, embedded.url),
      ).initialize();
    }, 60_000);
    afterAll(async () => {
      await sut?.destroy();
      await embedded?.stop();
    });

    it('applies the same migrations and leaves no entity change pending', async () => {
      expect(await sut.showMigrations()).toBe(false);
      expect(await pendingSchemaChanges(sut)).toEqual([]);
    });

    it('seeds the same reference data', async () => {
      await seedReferenceData(sut, testCipher());
      expect(await counts(sut)).toEqual({ district: 1, towns: 13, committees: 366, types: 5 });
    }, 60_000);

    it('counts statistics by Asia/Shanghai days there too (time zone data, plpgsql triggers)', async () => {
      const [{ day }] = await sut.query(`SELECT to_char(report_day('2026-01-31T16:30:00Z'), 'YYYY-MM-DD') AS day`);
      expect(day).toBe('2026-02-01');
      await sut.query(
        `INSERT INTO verifications (certificate_id, institution_id, sector, method, result, checked_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[], $6::timestamptz[])`,
        [
          [null, null],
          [null, null],
          ['anonymous', 'anonymous'],
          ['qr', 'manual'],
          ['unknown', 'unknown'],
          ['2026-01-31T16:30:00Z', '2026-02-01T03:00:00Z'],
        ],
      );
      expect(
        await sut.query(`SELECT to_char(month, 'YYYY-MM') AS month, count FROM report_verifications_monthly`),
      ).toEqual([{ month: '2026-02', count: 2 }]);
    });

    it('serializes concurrent transactions on its single connection', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          sut.transaction(async (m) => {
            const [{ n }] = await m.query('SELECT $1::int AS n', [i]);
            return n as number;
          }),
        ),
      );
      expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });
  });
});
