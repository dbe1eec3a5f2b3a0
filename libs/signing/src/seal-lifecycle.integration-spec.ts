import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { AuditLog } from '@zhengming/audit';
import type { HttpConfig, SigningConfig } from '@zhengming/config';
import { StaffRole, type Principal } from '@zhengming/identity';
import type { OrganizationEntity } from '@zhengming/organizations';
import { openMigratedDataSource } from '../../../test/support/test-database';
import { CrlService } from './crl.service';
import { SoftwareKeyStore } from './keys/software-key-store';
import { PkiService } from './pki.service';
import { SealLifecycleService } from './seal-lifecycle.service';
import { SealsService } from './seals.service';
import { makeCommittee } from './testing/committee';
import { CertificateRevocationListEntity, SealEntity, SealStatusEventEntity } from './signing.entities';
import { SigningErrorCode } from './signing.exception';
import { SigningKeysService } from './signing-keys.service';

function person(role: StaffRole, organization: OrganizationEntity): Principal {
  return {
    kind: 'person',
    personId: '11111111-1111-4111-8111-111111111111',
    sessionId: 's',
    roles: [
      {
        id: 'g',
        role,
        organization: { ...organization, parent: null },
      },
    ],
  };
}

/** What `openssl crl` prints for a DER CRL, and whether it verifies against the CA. */
function opensslCrl(der: Buffer, caDer: Buffer): { text: string; verified: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zm-crl-'));
  try {
    writeFileSync(join(dir, 'crl.der'), der);
    writeFileSync(join(dir, 'ca.pem'), new X509Certificate(caDer).toString());
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-text', '-noout'], {
      encoding: 'utf8',
    });
    // openssl reports "verify OK" on standard error.
    const check = spawnSync(
      'openssl',
      ['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-CAfile', join(dir, 'ca.pem'), '-verify', '-noout'],
      { encoding: 'utf8' },
    );
    const verified = `${check.status}:${check.stderr}`;
    return { text, verified };
  } catch (error) {
    const failed = error as { stderr?: Buffer | string };
    throw new Error(`openssl crl failed: ${String(failed.stderr)}`, { cause: error });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe(SealLifecycleService.name, () => {
  let close: () => Promise<void>;
  let dataSource: DataSource;
  let seals: SealsService;
  let crl: CrlService;
  let pki: PkiService;
  let sut: SealLifecycleService;
  let committee: OrganizationEntity;
  let other: OrganizationEntity;
  let seal: SealEntity;
  const audited: string[] = [];

  beforeAll(async () => {
    ({ dataSource, close } = await openMigratedDataSource('seal_lifecycle'));
    const store = new SoftwareKeyStore({ keys: new Map([['k1', randomBytes(32)]]), activeKeyId: 'k1' });
    const keys = new SigningKeysService(store, { algorithm: 'ec-p256' } as SigningConfig);
    pki = new PkiService(dataSource, keys, { publicBaseUrl: 'https://zm.example/' } as HttpConfig);
    await pki.initialize();
    seals = new SealsService(dataSource, pki, keys);
    crl = new CrlService(dataSource, keys);
    const audit = {
      append: (entry: { action: string }) => {
        audited.push(entry.action);
        return Promise.resolve();
      },
    } as unknown as AuditLog;
    sut = new SealLifecycleService(dataSource, pki, keys, crl, audit, seals);
    committee = await makeCommittee(dataSource, '440118001001');
    other = await makeCommittee(dataSource, '440118001002');
    await seals.ensureCommitteeSeals();
    seal = await dataSource.manager.findOneByOrFail(SealEntity, { organizationId: committee.id });
  });
  afterAll(() => close?.());

  const admin = () => ({ principal: person(StaffRole.Admin, committee) });

  it('writes the CRL distribution point of its issuing CA into every seal certificate', async () => {
    const { issuing } = await pki.chain();
    const dump = execFileSync('openssl', ['x509', '-inform', 'DER', '-text', '-noout'], {
      input: seal.certificateDer,
      encoding: 'utf8',
    });
    expect(dump).toContain('X509v3 CRL Distribution Points');
    expect(dump).toContain(`URI:https://zm.example/pki/crl/${issuing.id}.crl`);
  });

  it("lets the committee's approver suspend its seal, the admin reinstate it, and nobody else", async () => {
    await expect(
      sut.suspend({ principal: person(StaffRole.Approver, other) }, seal.id, '印章保管人员离职'),
    ).rejects.toMatchObject({ code: SigningErrorCode.SealNotFound });
    const suspended = await sut.suspend(
      { principal: person(StaffRole.Approver, committee) },
      seal.id,
      '印章保管人员离职',
    );
    expect(suspended).toMatchObject({ status: 'suspended', statusReason: '印章保管人员离职' });
    await expect(seals.forSigning(committee.id, new Date())).rejects.toMatchObject({
      code: SigningErrorCode.SealSuspended,
    });
    await expect(sut.suspend(admin(), seal.id, '再次暂停')).rejects.toMatchObject({
      code: SigningErrorCode.SealStatusConflict,
    });
    await expect(
      sut.reinstate({ principal: person(StaffRole.Approver, committee) }, seal.id, undefined),
    ).rejects.toMatchObject({ code: SigningErrorCode.SealNotFound });
    expect(await sut.reinstate(admin(), seal.id, '已重新指定保管人员')).toMatchObject({ status: 'active' });
    expect((await seals.forSigning(committee.id, new Date())).seal.id).toBe(seal.id);
    const history = await dataSource.manager.find(SealStatusEventEntity, {
      where: { sealId: seal.id },
      order: { occurredAt: 'ASC' },
    });
    expect(history.map((event) => `${event.action}:${event.status}`)).toEqual([
      'create:active',
      'suspend:suspended',
      'reinstate:active',
    ]);
    expect(audited).toEqual(['seal.suspend', 'seal.reinstate']);
  });

  it('renews the certificate for the same key and keeps the old one, unrevoked', async () => {
    const before = { ...seal };
    const renewed = await sut.renew(admin(), seal.id);
    expect(renewed.keyId).toBe(before.keyId);
    expect(renewed.serialHex).not.toBe(before.serialHex);
    expect(renewed.notAfter.getTime()).toBeGreaterThanOrEqual(before.notAfter.getTime());
    expect(renewed.notAfter.getTime() - renewed.notBefore.getTime()).toBe(
      before.notAfter.getTime() - before.notBefore.getTime(),
    );
    // The same subject, byte for byte: relying parties see the same seal.
    expect(new X509Certificate(renewed.certificateDer).subject).toBe(
      new X509Certificate(before.certificateDer).subject,
    );
    const certificates = await seals.certificatesOf(seal.id);
    expect(certificates.map((c) => [c.serialHex, c.replacedAt === null])).toEqual([
      [renewed.serialHex, true],
      [before.serialHex, false],
    ]);
    expect((await seals.forSigning(committee.id, new Date())).seal.serialHex).toBe(renewed.serialHex);
    seal = renewed;
  });

  it('rotates the key: a new key signs from now on, the old certificate is revoked only when asked', async () => {
    const before = { ...seal };
    const rotated = await sut.rotateKey(admin(), seal.id, undefined);
    expect(rotated.keyId).not.toBe(before.keyId);
    expect((await seals.forSigning(committee.id, new Date())).seal.keyId).toBe(rotated.keyId);
    expect(await dataSource.manager.count(CertificateRevocationListEntity)).toBe(0);

    const again = await sut.rotateKey(admin(), seal.id, 'keyCompromise');
    const { issuing } = await pki.chain();
    const list = await crl.current(issuing.id);
    const { text, verified } = opensslCrl(list.der, issuing.certificateDer);
    expect(verified).toMatch(/^0:verify OK/);
    expect(text).toContain(`Serial Number: ${rotated.serialHex.toUpperCase()}`);
    expect(text).toContain('Key Compromise');
    expect(text).not.toContain(again.serialHex.toUpperCase());
    seal = again;
  });

  it('revokes for good: every valid certificate onto the CRL with the reason, and nothing after', async () => {
    const { issuing } = await pki.chain();
    const before = await crl.current(issuing.id);
    const revoked = await sut.revoke(admin(), seal.id, '村委会撤并', 'cessationOfOperation');
    expect(revoked).toMatchObject({ status: 'revoked', statusReason: '村委会撤并' });
    await expect(seals.forSigning(committee.id, new Date())).rejects.toMatchObject({
      code: SigningErrorCode.SealRevoked,
    });
    for (const attempt of [
      () => sut.reinstate(admin(), seal.id, undefined),
      () => sut.revoke(admin(), seal.id, '重复', 'unspecified'),
      () => sut.renew(admin(), seal.id),
      () => sut.rotateKey(admin(), seal.id, undefined),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: SigningErrorCode.SealAlreadyRevoked });
    }

    const list = await crl.current(issuing.id);
    expect(BigInt(list.crlNumber)).toBe(BigInt(before.crlNumber) + 1n);
    const { text, verified } = opensslCrl(list.der, issuing.certificateDer);
    expect(verified).toMatch(/^0:verify OK/);
    expect(text).toMatch(/Version 2/);
    expect(text).toMatch(/X509v3 CRL Number:\s*\n\s*2\b/);
    expect(text).toMatch(/Next Update:/);
    expect(text).toContain('X509v3 Authority Key Identifier');
    // The four certificates the seal had: the rotated-away one keeps its first reason (key compromise).
    const serials = (await seals.certificatesOf(seal.id)).map((c) => c.serialHex.toUpperCase());
    expect(serials).toHaveLength(4);
    for (const serial of serials) expect(text).toContain(`Serial Number: ${serial}`);
    expect(text.match(/Cessation Of Operation/g)).toHaveLength(3);
    expect(text.match(/Key Compromise/g)).toHaveLength(1);

    const states = await seals.states(seal.id, new Date(revoked.statusChangedAt!.getTime() - 1));
    expect(states.atSigning?.status).toBe('active');
    expect(states.now).toMatchObject({ status: 'revoked', reason: '村委会撤并' });
  });

  it("issues a revoked committee seal's successor, once", async () => {
    await expect(
      sut.issueSuccessor(admin(), (await seals.forSigning(other.id, new Date())).seal.id),
    ).rejects.toMatchObject({ code: SigningErrorCode.SealStatusConflict });
    const successor = await sut.issueSuccessor(admin(), seal.id);
    expect(successor).toMatchObject({ code: `${seal.code.slice(0, 12)}2`, status: 'active', name: seal.name });
    expect(successor.keyId).not.toBe(seal.keyId);
    expect((await seals.forSigning(committee.id, new Date())).seal.id).toBe(successor.id);
    await expect(sut.issueSuccessor(admin(), seal.id)).rejects.toMatchObject({
      code: SigningErrorCode.SealStatusConflict,
    });
    expect(audited.at(-1)).toBe('seal.succeed');
  });

  it('publishes an empty CRL for a CA with no revocations, and again once half its validity has passed', async () => {
    const { root } = await pki.chain();
    const first = await crl.current(root.id);
    expect(opensslCrl(first.der, root.certificateDer).text).toContain('No Revoked Certificates');
    expect((await crl.current(root.id)).id).toBe(first.id);
    const later = new Date(first.thisUpdate.getTime() + 4 * 24 * 3600 * 1000);
    const refreshed = await crl.current(root.id, later);
    expect(BigInt(refreshed.crlNumber)).toBe(BigInt(first.crlNumber) + 1n);

    // The periodic check publishes afresh exactly the CAs whose CRL is half way to its nextUpdate.
    expect(await crl.refreshDue(later)).toBe(1);
    expect(await crl.refreshDue(later)).toBe(0);
    const { issuing } = await pki.chain();
    expect((await crl.current(issuing.id, later)).thisUpdate.getTime()).toBe(Math.floor(later.getTime() / 1000) * 1000);
  });
});
