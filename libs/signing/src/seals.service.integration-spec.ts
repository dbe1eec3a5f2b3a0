import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { SigningConfig } from '@zhengming/config';
import { openMigratedDataSource } from '../../../test/support/test-database';
import { makeCommittee } from './testing/committee';
import { SoftwareKeyStore } from './keys/software-key-store';
import { PkiService } from './pki.service';
import { assertSealUsable, recordSealStatus, SealsService } from './seals.service';
import { SealCertificateEntity, SealEntity, SealStatusEventEntity } from './signing.entities';
import { SigningErrorCode } from './signing.exception';
import { SigningKeysService } from './signing-keys.service';

describe(SealsService.name, () => {
  let close: () => Promise<void>;
  let dataSource: DataSource;
  let sut: SealsService;
  let seal: SealEntity;

  beforeAll(async () => {
    const opened = await openMigratedDataSource('seals');
    ({ dataSource, close } = opened);
    const store = new SoftwareKeyStore({ keys: new Map([['k1', randomBytes(32)]]), activeKeyId: 'k1' });
    const keys = new SigningKeysService(store, { algorithm: 'ec-p256' } as SigningConfig);
    const pki = new PkiService(dataSource, keys);
    await pki.initialize();
    sut = new SealsService(dataSource, pki, keys);
    const committee = await makeCommittee(dataSource);
    expect(await sut.ensureCommitteeSeals()).toEqual({ created: 1, total: 1 });
    seal = (await dataSource.manager.findOneByOrFail(SealEntity, { organizationId: committee.id }))!;
  });
  afterAll(() => close?.());

  const setStatus = async (status: SealEntity['status'], reason: string | null, at: Date) => {
    Object.assign(seal, { status, statusReason: reason, statusChangedAt: at });
    await dataSource.manager.update(SealEntity, { id: seal.id }, { status, statusReason: reason, statusChangedAt: at });
    const action = status === 'active' ? 'reinstate' : status === 'suspended' ? 'suspend' : 'revoke';
    await recordSealStatus(dataSource.manager, seal, action, null, at);
  };

  it('records a new seal with its creation and its first certificate', async () => {
    const events = await dataSource.manager.findBy(SealStatusEventEntity, { sealId: seal.id });
    expect(events).toMatchObject([{ action: 'create', status: 'active' }]);
    const certificates = await sut.certificatesOf(seal.id);
    expect(certificates).toHaveLength(1);
    expect(certificates[0]).toMatchObject({ serialHex: seal.serialHex, keyId: seal.keyId, replacedAt: null });
    expect((await sut.bySerial(seal.serialHex.toUpperCase()))?.seal.id).toBe(seal.id);
    expect(await dataSource.manager.count(SealCertificateEntity)).toBe(1);
  });

  it('confirms in the recording transaction that the seal is still in force with the certificate that signed', async () => {
    await expect(dataSource.transaction((m) => sut.confirmInForce(m, seal, new Date()))).resolves.toBeUndefined();
    await expect(
      dataSource.transaction((m) => sut.confirmInForce(m, { ...seal, serialHex: '01' }, new Date())),
    ).rejects.toMatchObject({ code: SigningErrorCode.SealCertificateNotCurrent });
  });

  it('signs while active, refuses while suspended and once revoked, and remembers each state by time', async () => {
    const created = (await sut.stateAt(seal.id, new Date()))!;
    expect(created.status).toBe('active');
    expect(await sut.stateAt(seal.id, new Date(created.since.getTime() - 1000))).toBeNull();
    expect((await sut.sealForSigning(seal.id, new Date())).seal.id).toBe(seal.id);

    const suspendedAt = new Date(Date.now() + 1000);
    await setStatus('suspended', '印章保管人员调整', suspendedAt);
    await expect(sut.sealForSigning(seal.id, new Date())).rejects.toMatchObject({
      code: SigningErrorCode.SealSuspended,
    });
    await expect(sut.forSigning(seal.organizationId!, new Date())).rejects.toMatchObject({
      code: SigningErrorCode.SealSuspended,
    });
    await expect(dataSource.transaction((m) => sut.confirmInForce(m, seal, new Date()))).rejects.toMatchObject({
      code: SigningErrorCode.SealSuspended,
    });

    const revokedAt = new Date(Date.now() + 2000);
    await setStatus('revoked', '村委会撤并', revokedAt);
    await expect(sut.forSigning(seal.organizationId!, new Date())).rejects.toMatchObject({
      code: SigningErrorCode.SealRevoked,
    });

    const states = await sut.states(seal.id, new Date(suspendedAt.getTime() - 500));
    expect(states.atSigning).toMatchObject({ status: 'active' });
    expect(states.now).toMatchObject({ status: 'revoked', reason: '村委会撤并', since: revokedAt });
    expect(await sut.stateAt(seal.id, new Date(suspendedAt.getTime() + 500))).toMatchObject({
      status: 'suspended',
      reason: '印章保管人员调整',
    });
  });

  it('refuses a certificate outside its validity', async () => {
    await expect(sut.forSigning('00000000-0000-4000-8000-000000000000', new Date())).rejects.toMatchObject({
      code: SigningErrorCode.SealNotFound,
    });
    expect(() => assertSealUsable({ ...seal, status: 'active' }, new Date(seal.notAfter.getTime() + 1))).toThrow(
      expect.objectContaining({ code: SigningErrorCode.SealCertificateNotCurrent }),
    );
  });
});
