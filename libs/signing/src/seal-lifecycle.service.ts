import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { AuditLog } from '@zhengming/audit';
import { hasRole, reaches, StaffRole, type Principal } from '@zhengming/identity';
import { OrganizationEntity } from '@zhengming/organizations';
import { CrlService } from './crl.service';
import { PkiService, type IssuedEndEntity } from './pki.service';
import { recordSealStatus, SealsService } from './seals.service';
import { SealCertificateEntity, SealEntity, type CrlReason, type SealStatusAction } from './signing.entities';
import { SigningErrorCode, SigningException } from './signing.exception';
import { SigningKeysService } from './signing-keys.service';

export interface SealActionContext {
  principal: Principal;
  requestId?: string;
}

/** Why a seal is revoked, as its CRL entries say (RFC 5280 §5.3.1). */
export const SEAL_REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
] as const satisfies readonly CrlReason[];
export type SealRevocationReason = (typeof SEAL_REVOCATION_REASONS)[number];

/** Why a replaced certificate is revoked on key rotation, when it is. */
export const ROTATION_REVOCATION_REASONS = ['keyCompromise', 'superseded'] as const satisfies readonly CrlReason[];
export type RotationRevocationReason = (typeof ROTATION_REVOCATION_REASONS)[number];

/**
 * Something that must follow when a seal is in force again, reinstated or as the successor of a
 * revoked one (issuing that waited for it), in that transaction.
 */
export interface SealLifecycleListener {
  onInForce(manager: EntityManager, seal: SealEntity): Promise<void>;
}

/** Who may do what to a seal: the committee's approver can stop its seal at once; the rest is the district's. */
const MAY: Record<'suspend' | 'reinstate' | 'revoke' | 'renew' | 'rotate' | 'succeed', readonly StaffRole[]> = {
  suspend: [StaffRole.Approver, StaffRole.Admin],
  reinstate: [StaffRole.Admin],
  revoke: [StaffRole.Admin],
  renew: [StaffRole.Admin],
  rotate: [StaffRole.Admin],
  succeed: [StaffRole.Admin],
};

/**
 * A seal's life after issue: suspend ⇄ reinstate, revoke (final, its certificates onto the CRL),
 * renew its certificate (same key) and rotate its key (new key and certificate). Each change is one
 * transaction on the locked seal row with its status history and the audit record. A replaced
 * certificate is kept, not revoked (unless asked): documents it signed stay valid.
 */
@Injectable()
export class SealLifecycleService {
  private readonly logger = new Logger(SealLifecycleService.name);
  private readonly listeners: SealLifecycleListener[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pki: PkiService,
    private readonly keys: SigningKeysService,
    private readonly crl: CrlService,
    private readonly audit: AuditLog,
    private readonly seals: SealsService,
  ) {}

  register(listener: SealLifecycleListener): void {
    this.listeners.push(listener);
  }

  suspend(ctx: SealActionContext, sealId: string, reason: string): Promise<SealEntity> {
    return this.change(ctx, sealId, 'suspend', async (m, seal) => {
      if (seal.status !== 'active') throw this.conflict(seal, 'suspend');
      await this.setStatus(m, ctx, seal, 'suspend', 'suspended', reason);
      return { reason };
    });
  }

  reinstate(ctx: SealActionContext, sealId: string, reason: string | undefined): Promise<SealEntity> {
    return this.change(ctx, sealId, 'reinstate', async (m, seal) => {
      if (seal.status !== 'suspended') throw this.conflict(seal, 'reinstate');
      await this.setStatus(m, ctx, seal, 'reinstate', 'active', reason ?? null);
      for (const listener of this.listeners) await listener.onInForce(m, seal);
      return { reason: reason ?? null };
    });
  }

  /** Final: the seal signs nothing more and every certificate it has had that is still valid goes onto its CA's CRL. */
  revoke(ctx: SealActionContext, sealId: string, reason: string, code: SealRevocationReason): Promise<SealEntity> {
    return this.change(ctx, sealId, 'revoke', async (m, seal, now) => {
      if (seal.status === 'revoked') throw this.conflict(seal, 'revoke');
      await this.setStatus(m, ctx, seal, 'revoke', 'revoked', reason);
      const certificates = await m.find(SealCertificateEntity, { where: { sealId: seal.id } });
      const revoked = certificates.filter((certificate) => certificate.notAfter > now);
      await this.revokeCertificates(m, revoked, code, now);
      return { reason, code, serials: revoked.map((certificate) => certificate.serialHex) };
    });
  }

  /**
   * A revoked committee seal's successor: the committee's next seal generation, so that it can issue
   * again; applications that waited for a seal go on. Returns the new seal.
   */
  async issueSuccessor(ctx: SealActionContext, sealId: string): Promise<SealEntity> {
    let successor: SealEntity | undefined;
    await this.change(ctx, sealId, 'succeed', async (m, seal) => {
      successor = await this.seals.issueCommitteeSuccessor(m, seal);
      for (const listener of this.listeners) await listener.onInForce(m, successor);
      return { successorId: successor.id, successorCode: successor.code };
    });
    return successor!;
  }

  /** A new certificate for the same key, before (or after) the current one expires. */
  renew(ctx: SealActionContext, sealId: string): Promise<SealEntity> {
    return this.change(ctx, sealId, 'renew', async (m, seal, now) => {
      if (seal.status === 'revoked') throw this.conflict(seal, 'renew');
      const key = await this.keys.keyRow(m, seal.keyId);
      const issued = await this.pki.reissueSigningCertificate(m, seal, key);
      const previous = await this.replaceCertificate(m, seal, key.id, issued, now);
      return { previousSerial: previous, serial: issued.serialHex };
    });
  }

  /**
   * A new key and certificate; the old certificate is kept for the documents it signed, and revoked
   * only if asked (`revokePrevious`, e.g. keyCompromise when the old key may have leaked).
   */
  rotateKey(
    ctx: SealActionContext,
    sealId: string,
    revokePrevious: RotationRevocationReason | undefined,
  ): Promise<SealEntity> {
    return this.change(ctx, sealId, 'rotate', async (m, seal, now) => {
      if (seal.status === 'revoked') throw this.conflict(seal, 'rotate');
      const previous = await m.findOneByOrFail(SealCertificateEntity, { sealId: seal.id, replacedAt: IsNull() });
      const key = await this.keys.create(m, `seal-${seal.code}-${now.getTime()}`);
      const issued = await this.pki.reissueSigningCertificate(m, seal, key);
      await this.replaceCertificate(m, seal, key.id, issued, now);
      if (revokePrevious) await this.revokeCertificates(m, [previous], revokePrevious, now);
      return {
        previousSerial: previous.serialHex,
        serial: issued.serialHex,
        previousKeyId: previous.keyId,
        keyId: key.id,
        revokedPrevious: revokePrevious ?? null,
      };
    });
  }

  private async change(
    ctx: SealActionContext,
    sealId: string,
    action: keyof typeof MAY,
    apply: (m: EntityManager, seal: SealEntity, now: Date) => Promise<Record<string, unknown>>,
  ): Promise<SealEntity> {
    const seal = await this.dataSource.transaction(async (m) => {
      const seal = await m
        .getRepository(SealEntity)
        .createQueryBuilder('s')
        .setLock('pessimistic_write')
        .where('s.id = :sealId', { sealId })
        .getOne();
      const organization = seal?.organizationId
        ? await m.findOneBy(OrganizationEntity, { id: seal.organizationId })
        : null;
      // An enterprise's seal belongs to no organization of the district: the district admin acts on it.
      const allowed = organization
        ? reaches(ctx.principal, organization, MAY[action])
        : seal?.kind === 'enterprise' &&
          MAY[action].includes(StaffRole.Admin) &&
          hasRole(ctx.principal, [StaffRole.Admin]);
      // Someone who may not act on the seal learns nothing about it, not even that it exists.
      if (!seal || !allowed) {
        throw new SigningException(SigningErrorCode.SealNotFound, { sealId });
      }
      const now = new Date();
      const details = await apply(m, seal, now);
      await this.audit.append(
        {
          actor: { type: 'person', id: ctx.principal.kind === 'person' ? ctx.principal.personId : null },
          action: `seal.${action}`,
          object: { type: 'seal', id: seal.id },
          organizationId: seal.organizationId,
          requestId: ctx.requestId,
          details: { code: seal.code, ...details },
        },
        m,
      );
      return seal;
    });
    this.logger.log({ sealId: seal.id, code: seal.code, action, status: seal.status }, 'seal changed');
    return seal;
  }

  private async setStatus(
    m: EntityManager,
    ctx: SealActionContext,
    seal: SealEntity,
    action: SealStatusAction,
    status: SealEntity['status'],
    reason: string | null,
  ): Promise<void> {
    const actorId = ctx.principal.kind === 'person' ? ctx.principal.personId : null;
    const at = new Date();
    Object.assign(seal, { status, statusReason: reason, statusChangedAt: at, statusChangedBy: actorId });
    await m.update(
      SealEntity,
      { id: seal.id },
      { status, statusReason: reason, statusChangedAt: at, statusChangedBy: actorId },
    );
    await recordSealStatus(m, seal, action, actorId, at);
  }

  /** The seal row takes the new certificate; the old one stays in the list, marked replaced. Returns its serial. */
  private async replaceCertificate(
    m: EntityManager,
    seal: SealEntity,
    keyId: string,
    issued: IssuedEndEntity,
    now: Date,
  ): Promise<string> {
    const previousSerial = seal.serialHex;
    await m.update(SealCertificateEntity, { sealId: seal.id, replacedAt: IsNull() }, { replacedAt: now });
    const values = {
      keyId,
      issuerId: issued.issuerId,
      certificateDer: issued.der,
      serialHex: issued.serialHex,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    };
    await m.insert(SealCertificateEntity, { sealId: seal.id, ...values, replacedAt: null });
    await m.update(SealEntity, { id: seal.id }, values);
    Object.assign(seal, values);
    return previousSerial;
  }

  private async revokeCertificates(
    m: EntityManager,
    certificates: SealCertificateEntity[],
    reason: CrlReason,
    now: Date,
  ): Promise<void> {
    await this.crl.revoke(
      m,
      certificates.map((certificate) => ({
        issuerId: certificate.issuerId,
        serialHex: certificate.serialHex,
        certificateNotAfter: certificate.notAfter,
        reason,
        revokedAt: now,
      })),
    );
    for (const issuerId of new Set(certificates.map((certificate) => certificate.issuerId))) {
      await this.crl.publish(m, issuerId, now);
    }
  }

  private conflict(seal: SealEntity, action: keyof typeof MAY): SigningException {
    return seal.status === 'revoked'
      ? new SigningException(SigningErrorCode.SealAlreadyRevoked, { sealId: seal.id, action })
      : new SigningException(SigningErrorCode.SealStatusConflict, { sealId: seal.id, status: seal.status, action });
  }
}
