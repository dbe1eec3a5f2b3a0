import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { openMigratedDataSource } from '../../../test/support/test-database';
import { seedReferenceData } from '../../../db/seed';
import { testCipher } from '../../../test/support/test-secrets';
import { OrganizationRegistryService } from './organization-registry.service';
import { OrganizationEntity } from './organization.entity';
import { OrganizationErrorCode, OrganizationException } from './organization.exception';

describe(OrganizationRegistryService.name, () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let sut: OrganizationRegistryService;
  let syntheticCsv: string;

  const snapshot = () =>
    dataSource.query(`SELECT code, name, kind, parent_id, active, updated_at FROM organizations ORDER BY code`);

  beforeAll(async () => {
    ({ dataSource, close } = await openMigratedDataSource('registry'));
    await seedReferenceData(dataSource, testCipher());
    sut = new OrganizationRegistryService(dataSource);
    syntheticCsv = await readFile(join(__dirname, '../../../db/seeds/committees.synthetic.csv'), 'utf8');
  });
  afterAll(() => close?.());

  it('rejects a registry with one bad row as a whole, with its line number, and changes nothing', async () => {
    const before = await snapshot();
    const lines = syntheticCsv.split('\n');
    const header = lines.findIndex((l) => l.startsWith('code,'));
    const renamed = lines.map((l, i) => (i === header + 1 ? l.replace(/^(\d+),[^,]+,/, '$1,改名社区居民委员会,') : l));
    renamed[header + 10] = '440118001999,坏行村民委员会,hamlet,440118001';
    const error = await sut.importCommittees(renamed.join('\n')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrganizationException);
    expect((error as OrganizationException).code).toBe(OrganizationErrorCode.ImportInvalid);
    expect((error as OrganizationException).details).toEqual({
      problems: [{ line: header + 11, column: 'kind', message: expect.stringContaining('hamlet') }],
    });
    expect(await snapshot()).toEqual(before);
  });

  it('replaces the list: renames, adds, and deactivates committees missing from the new registry', async () => {
    const rows = syntheticCsv.split('\n').filter((l) => /^\d{12},/.test(l));
    const kept = rows.slice(0, 300);
    kept[0] = kept[0].replace(/^(\d+),[^,]+,/, '$1,新名称社区居民委员会,');
    const csv = ['code,name,kind,parent_town', ...kept, '440118106299,新设村民委员会,village,仙村镇'].join('\n');

    const summary = await sut.importCommittees(csv);

    expect(summary).toEqual({ created: 1, updated: 1, unchanged: 299, deactivated: 66, total: 301 });
    const repository = dataSource.getRepository(OrganizationEntity);
    expect(await repository.count({ where: { level: 'committee', active: true } })).toBe(301);
    expect(await repository.count({ where: { level: 'committee', active: false } })).toBe(66);
    const renamed = await repository.findOneByOrFail({ code: kept[0].slice(0, 12) });
    expect(renamed.name).toBe('新名称社区居民委员会');
  });

  it('brings a deactivated committee back when the registry lists it again', async () => {
    const summary = await sut.importCommittees(syntheticCsv);
    expect(summary.total).toBe(366);
    expect(summary.deactivated).toBe(1);
    expect(
      await dataSource.getRepository(OrganizationEntity).count({ where: { level: 'committee', active: true } }),
    ).toBe(366);
  });
});
