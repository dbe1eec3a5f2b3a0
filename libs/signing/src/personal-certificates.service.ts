import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PersonEntity } from '@zhengming/identity';
import type { DataSigner } from './keys/key-store';
import { PkiService } from './pki.service';
import { PersonalSigningCertificateEntity } from './signing.entities';
import { SigningKeysService } from './signing-keys.service';

export const PERSONAL_CERTIFICATE_YEARS = 2;

export interface PersonalSigning {
  certificate: PersonalSigningCertificateEntity;
  signer: DataSigner;
  name: string;
}

/** Approvers' personal signing certificates (个人电子签名): issued on an approver's first approval. */
@Injectable()
export class PersonalCertificatesService {
  /** The name on an approver's certificate, as the identity platform gave it; read once per process. */
  private readonly names = new Map<string, string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pki: PkiService,
    private readonly keys: SigningKeysService,
  ) {}

  /** The person's current certificate, made on first use; two concurrent first uses make one. */
  async forSigning(personId: string, at: Date): Promise<PersonalSigning> {
    const manager = this.dataSource.manager;
    let certificate = await manager.findOneBy(PersonalSigningCertificateEntity, { personId, active: true });
    if (!certificate || certificate.notAfter <= at) certificate = await this.issue(personId, at);
    let name = this.names.get(personId);
    if (name === undefined) {
      name = (await manager.findOneByOrFail(PersonEntity, { id: personId })).name;
      this.names.set(personId, name);
    }
    return { certificate, signer: await this.keys.signerById(manager, certificate.keyId), name };
  }

  private issue(personId: string, at: Date): Promise<PersonalSigningCertificateEntity> {
    return this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`personal-certificate:${personId}`]);
      const current = await m.findOneBy(PersonalSigningCertificateEntity, { personId, active: true });
      if (current && current.notAfter > at) return current;
      if (current) await m.update(PersonalSigningCertificateEntity, { id: current.id }, { active: false });
      const person = await m.findOneByOrFail(PersonEntity, { id: personId });
      const key = await this.keys.create(m, `person-${personId}`);
      const issued = await this.pki.issueSigningCertificate(
        m,
        {
          C: 'CN',
          ST: '广东省',
          L: '广州市增城区',
          O: '广州市增城区电子证明服务平台',
          OU: '审批人员',
          CN: person.name,
        },
        key,
        PERSONAL_CERTIFICATE_YEARS,
      );
      const row = m.create(PersonalSigningCertificateEntity, {
        personId,
        keyId: key.id,
        issuerId: issued.issuerId,
        certificateDer: issued.der,
        serialHex: issued.serialHex,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        active: true,
      });
      await m.insert(PersonalSigningCertificateEntity, row);
      return row;
    });
  }
}
