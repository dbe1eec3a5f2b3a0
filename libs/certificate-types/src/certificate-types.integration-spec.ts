import type { DataSource } from 'typeorm';
import { openMigratedDataSource } from '../../../test/support/test-database';
import { loadCertificateTypeDefinitions } from '../../../db/seed';
import { CertificateTypesService } from './certificate-types.service';
import { CertificateTypeVersionEntity } from './certificate-type.entity';
import { CertificateTypeErrorCode } from './certificate-type.exception';
import type { CertificateTypeDefinition } from './certificate-type-definition';

describe(CertificateTypesService.name, () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let sut: CertificateTypesService;
  let definitions: CertificateTypeDefinition[];

  beforeAll(async () => {
    ({ dataSource, close } = await openMigratedDataSource('types'));
    sut = new CertificateTypesService(dataSource);
    definitions = await loadCertificateTypeDefinitions();
    for (const d of definitions) await sut.publish(d);
  });
  afterAll(() => close?.());

  it('lists the active version of each of the five types', async () => {
    const active = await sut.listActive();
    expect(active.map((t) => [t.code, t.version.version])).toEqual([
      ['business-premises-use', 1],
      ['entertainment-venue-deregistration', 1],
      ['ev-charger-installation', 1],
      ['guardianship', 1],
      ['weather', 1],
    ]);
    const ev = active.find((t) => t.code === 'ev-charger-installation');
    expect(ev?.version.integrations).toEqual(['power-supply']);
  });

  it('makes a changed definition the next version and keeps the old one for its applications', async () => {
    const weather = definitions.find((d) => d.code === 'weather');
    if (!weather) throw new Error('weather seed missing');
    const v1 = (await sut.getActive('weather')).version;

    const changed = { ...structuredClone(weather), timeLimitWorkingDays: weather.timeLimitWorkingDays + 2 };
    expect(await sut.publish(changed)).toEqual({ outcome: 'new-version', version: 2 });
    expect(await sut.publish(changed)).toEqual({ outcome: 'unchanged', version: 2 });

    const active = await sut.getActive('weather');
    expect(active.version.version).toBe(2);
    expect(active.version.timeLimitWorkingDays).toBe(weather.timeLimitWorkingDays + 2);
    const old = await dataSource.getRepository(CertificateTypeVersionEntity).findOneByOrFail({ id: v1.id });
    expect(old.timeLimitWorkingDays).toBe(weather.timeLimitWorkingDays);
  });

  it('refuses an invalid definition and publishes nothing', async () => {
    const before = await dataSource.getRepository(CertificateTypeVersionEntity).count();
    const broken = { ...structuredClone(definitions[0]), validityDays: 0 };
    await expect(sut.publish(broken)).rejects.toMatchObject({ code: CertificateTypeErrorCode.DefinitionInvalid });
    expect(await dataSource.getRepository(CertificateTypeVersionEntity).count()).toBe(before);
  });

  it('validates a filled-in form against the version it was made with', async () => {
    const { version } = await sut.getActive('guardianship');
    const example = version.formSchema.examples[0];
    expect(() => sut.validateForm(version, example)).not.toThrow();
    expect(() => sut.validateForm(version, { ...example, idNumber: 'not-an-id' })).toThrow(
      expect.objectContaining({ code: CertificateTypeErrorCode.FormInvalid }),
    );
  });

  it('answers an unknown type with a coded error', async () => {
    await expect(sut.getActive('marriage')).rejects.toMatchObject({ code: CertificateTypeErrorCode.NotFound });
  });
});
