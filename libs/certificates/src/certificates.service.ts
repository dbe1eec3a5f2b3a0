import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApplicationEntity, ApplicationsService, type RequestContext } from '@zhengming/applications';
import { AuditLog } from '@zhengming/audit';
import { Clock } from '@zhengming/clock';
import { reaches, StaffRole, type PersonPrincipal } from '@zhengming/identity';
import { NotificationsService } from '@zhengming/notifications';
import { OrganizationEntity } from '@zhengming/organizations';
import { ObjectStorage } from '@zhengming/storage';
import { CertificateEntity, type CertificateStatus } from './certificate.entity';
import { CertificateErrorCode, CertificateException } from './certificates.exception';

/** What a certificate's holder and verifiers see: `expired` is derived from the validity date. */
export type CertificateState = 'valid' | 'expired' | 'revoked';

export function certificateState(
  row: { status: CertificateStatus; validUntil: Date },
  now = new Date(),
): CertificateState {
  if (row.status === 'revoked') return 'revoked';
  return row.validUntil.getTime() <= now.getTime() ? 'expired' : 'valid';
}

export interface CertificateSummary {
  id: string;
  applicationId: string;
  number: string;
  status: CertificateStatus;
  state: CertificateState;
  revokedAt: Date | null;
  revocationReason: string | null;
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
    private readonly audit: AuditLog,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
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
      applicationId: row.applicationId,
      number: row.number,
      status: row.status,
      state: certificateState(row, this.clock.now()),
      revokedAt: row.revokedAt,
      revocationReason: row.revocationReason,
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

  /**
   * Revokes an issued certificate: an approver of its committee or the district admin, with a reason.
   * Verification answers `revoked` from the commit on; the holder is told. Revoking twice is refused.
   */
  async revoke(ctx: RequestContext, certificateId: string, reason: string): Promise<CertificateSummary> {
    const applicationId = await this.dataSource.transaction(async (m) => {
      const row = await m
        .getRepository(CertificateEntity)
        .createQueryBuilder('c')
        .setLock('pessimistic_write')
        .where('c.id = :certificateId', { certificateId })
        .getOne();
      const committee = row && (await m.findOneByOrFail(OrganizationEntity, { id: row.committeeId }));
      // Someone who may not revoke learns nothing about the certificate, not even that it exists.
      if (!row || !committee || !reaches(ctx.principal, committee, [StaffRole.Approver, StaffRole.Admin])) {
        throw new CertificateException(CertificateErrorCode.NotFound, { certificateId });
      }
      if (row.status === 'pending') throw new CertificateException(CertificateErrorCode.NotIssued, { certificateId });
      if (row.status === 'revoked') {
        throw new CertificateException(CertificateErrorCode.AlreadyRevoked, {
          certificateId,
          revokedAt: row.revokedAt,
        });
      }
      const revokedAt = this.clock.now();
      await m.update(
        CertificateEntity,
        { id: row.id },
        {
          status: 'revoked',
          revokedAt,
          revocationReason: reason,
          revokedBy: ctx.principal.personId,
          updatedAt: revokedAt,
        },
      );
      await this.audit.append(
        {
          actor: { type: 'person', id: ctx.principal.personId },
          action: 'certificate.revoke',
          object: { type: 'certificate', id: row.id },
          organizationId: row.committeeId,
          requestId: ctx.requestId,
          details: { number: row.number },
        },
        m,
      );
      const application = await m.findOneByOrFail(ApplicationEntity, { id: row.applicationId });
      await this.notifications.notify(m, {
        recipientPersonId: application.applicantId,
        applicationId: application.id,
        event: 'certificate.revoked',
        title: '证明已被撤销',
        body: `您的证明（编号 ${row.number}）已由${committee.name}撤销，原因：${reason}。核验时将显示为已撤销。`,
      });
      return row.applicationId;
    });
    return this.forApplication(ctx.principal, applicationId);
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
