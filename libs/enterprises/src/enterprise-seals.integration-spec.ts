import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AuditLog } from '@zhengming/audit';
import { SystemClock } from '@zhengming/clock';
import type { SigningConfig } from '@zhengming/config';
import { PeopleService } from '@zhengming/identity';
import { PkiService, SealEntity, SealsService, SigningKeysService, SoftwareKeyStore } from '@zhengming/signing';
import { openMigratedDataSource } from '../../../test/support/test-database';
import { makeCommittee } from '../../signing/src/testing/committee';
import { testCipher } from '../../../test/support/test-secrets';
import { EnterpriseSealEntity } from './enterprise.entities';
import { EnterpriseErrorCode } from './enterprise.exception';
import { EnterpriseSealsService, type EnterpriseActor } from './enterprise-seals.service';

describe(EnterpriseSealsService.name, () => {
  let close: () => Promise<void>;
  let dataSource: DataSource;
  let sut: EnterpriseSealsService;
  let seals: SealsService;
  let legalRepresentative: EnterpriseActor;
  let stranger: EnterpriseActor;
  const admin: EnterpriseActor = { personId: '', isAdmin: true };

  beforeAll(async () => {
    ({ dataSource, close } = await openMigratedDataSource('enterprise_seals'));
    const store = new SoftwareKeyStore({ keys: new Map([['k1', randomBytes(32)]]), activeKeyId: 'k1' });
    const keys = new SigningKeysService(store, { algorithm: 'ec-p256' } as SigningConfig);
    const pki = new PkiService(dataSource, keys);
    await pki.initialize();
    const people = new PeopleService(dataSource, testCipher());
    seals = new SealsService(dataSource, pki, keys);
    sut = new EnterpriseSealsService(dataSource, seals, people, new AuditLog(dataSource, new SystemClock()));
    const register = (name: string, idNumber: string) => people.register({ name, idNumber }, dataSource.manager);
    legalRepresentative = { personId: (await register('郭振华', '440118198206110318')).id, isAdmin: false };
    stranger = { personId: (await register('林晓婷', '440118199409230226')).id, isAdmin: false };
    admin.personId = stranger.personId;
  });
  afterAll(() => close?.());

  const apply = (sealKinds: ('official' | 'finance' | 'contract' | 'invoice')[], actor = legalRepresentative) =>
    sut.apply({ creditCode: '91440118MA59C3KPXG', enterpriseName: '广州增城示例科技有限公司', sealKinds }, actor);

  it('issues the seals once when two admins approve the same application at the same moment', async () => {
    const application = await apply(['official', 'contract']);
    const outcomes = await Promise.allSettled([sut.approve(application.id, admin), sut.approve(application.id, admin)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: EnterpriseErrorCode.ApplicationDecided });
    const links = await dataSource.manager.find(EnterpriseSealEntity, { relations: { seal: true } });
    expect(links.map((l) => [l.kind, l.seal?.code]).sort()).toEqual([
      ['contract', expect.stringMatching(/^4401189\d{6}$/)],
      ['official', expect.stringMatching(/^4401189\d{6}$/)],
    ]);
    expect(new Set(links.map((l) => l.seal?.code)).size).toBe(2);
    expect(links.every((l) => l.seal?.kind === 'enterprise' && l.seal.organizationId === null)).toBe(true);
  });

  it('refuses a kind the enterprise holds until that seal is revoked, and anyone but its legal representative', async () => {
    await expect(apply(['official'])).rejects.toMatchObject({ code: EnterpriseErrorCode.SealKindHeld });
    await expect(apply(['finance'], stranger)).rejects.toMatchObject({
      code: EnterpriseErrorCode.NotLegalRepresentative,
    });
    const official = await dataSource.manager.findOneByOrFail(EnterpriseSealEntity, { kind: 'official' });
    await dataSource.manager.update(SealEntity, { id: official.sealId }, { status: 'revoked' });
    const again = await apply(['official']);
    expect(again.status).toBe('submitted');
    await sut.reject(again.id, '测试', admin);
  });

  it('authenticates the API key it made, and nothing else', async () => {
    const { enterpriseId } = (await sut.applications(legalRepresentative, { offset: 0, limit: 10 })).items.find(
      (a) => a.status === 'approved',
    )!;
    const { row, key } = await sut.createApiKey(enterpriseId!, '合同系统', legalRepresentative);
    expect(await sut.authenticate(key)).toEqual({ enterpriseId, keyId: row.id });
    // The right prefix with a secret one character off.
    const forged = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect(await sut.authenticate(forged)).toBeNull();
    expect(await sut.authenticate('zes_nonsense')).toBeNull();
    await sut.revokeApiKey(enterpriseId!, row.id, legalRepresentative);
    expect(await sut.authenticate(key)).toBeNull();
  });

  it('reverts its migration with enterprise seals issued: they go, committee seals stay', async () => {
    await makeCommittee(dataSource);
    expect(await seals.ensureCommitteeSeals()).toMatchObject({ created: 1 });
    expect(await dataSource.manager.count(SealEntity, { where: { kind: 'enterprise' } })).toBeGreaterThan(0);
    // Back to before the enterprise-seal migration, undoing any that came after it.
    const applied = async () =>
      ((await dataSource.query(`SELECT 1 FROM schema_migrations WHERE name = 'EnterpriseSeals1796100000000'`)) as [])
        .length > 0;
    while (await applied()) await dataSource.undoLastMigration();
    const left = (await dataSource.query(`SELECT kind FROM seals`)) as { kind: string }[];
    expect(left).toEqual([{ kind: 'committee' }]);
    await dataSource.runMigrations();
    expect(await dataSource.manager.count(EnterpriseSealEntity)).toBe(0);
  });
});
