import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApplicationsService } from '@zhengming/applications';
import type { PersonPrincipal } from '@zhengming/identity';
import { ObjectStorage } from '@zhengming/storage';
import { CertificateEntity, type CertificateStatus } from './certificate.entity';
import { CertificateErrorCode, CertificateException } from './certificates.exception';

export interface CertificateSummary {
  id: string;
  number: string;
  status: CertificateStatus;
  typeName: string;
  committeeName: string;
  issuedAt: Date;
  validUntil: Date;
  documentSha256: string | null;
  documentBytes: number | null;
}

export interface SealUse {
  certificateId: string;
  number: string;
  typeName: string;
  status: CertificateStatus;
  signedAt: Date | null;
  documentSha256: string | null;
}

@Injectable()
export class CertificatesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly applications: ApplicationsService,
    private readonly storage: ObjectStorage,
  ) {}

  /** The application's certificate as its holder or its committee sees it; nothing before it is issued. */
  async forApplication(principal: PersonPrincipal, applicationId: string): Promise<CertificateSummary> {
    await this.applications.assertVisible(principal, applicationId);
    const row = await this.dataSource
      .getRepository(CertificateEntity)
      .createQueryBuilder('c')
      .innerJoinAndSelect('c.typeVersion', 'v')
      .innerJoinAndSelect('c.committee', 'o')
      .where('c.application_id = :applicationId', { applicationId })
      .getOne();
    if (!row || row.status === 'pending') {
      throw new CertificateException(CertificateErrorCode.NotIssued, { applicationId });
    }
    return {
      id: row.id,
      number: row.number,
      status: row.status,
      typeName: row.typeVersion!.name,
      committeeName: row.committee!.name,
      issuedAt: row.issuedAt,
      validUntil: row.validUntil,
      documentSha256: row.documentSha256,
      documentBytes: row.documentBytes,
    };
  }

  async documentFor(principal: PersonPrincipal, applicationId: string): Promise<{ number: string; bytes: Buffer }> {
    const summary = await this.forApplication(principal, applicationId);
    const row = await this.dataSource.getRepository(CertificateEntity).findOneByOrFail({ id: summary.id });
    return { number: row.number, bytes: await this.storage.get(row.storageKey!) };
  }

  /** A seal's usage log: every certificate it signed, newest first. */
  async usesOfSeal(sealId: string, offset: number, limit: number): Promise<{ items: SealUse[]; total: number }> {
    const [rows, total] = await this.dataSource
      .getRepository(CertificateEntity)
      .createQueryBuilder('c')
      .innerJoinAndSelect('c.typeVersion', 'v')
      .where('c.seal_id = :sealId', { sealId })
      .orderBy('c.signed_at', 'DESC')
      .addOrderBy('c.id')
      .skip(offset)
      .take(limit)
      .getManyAndCount();
    return {
      total,
      items: rows.map((row) => ({
        certificateId: row.id,
        number: row.number,
        typeName: row.typeVersion!.name,
        status: row.status,
        signedAt: row.signedAt,
        documentSha256: row.documentSha256,
      })),
    };
  }
}
