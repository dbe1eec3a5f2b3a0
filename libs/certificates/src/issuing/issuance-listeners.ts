import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ApplicationEntity } from '@zhengming/applications';
import type { CertificateTypeVersionEntity } from '@zhengming/certificate-types';
import type { CertificateEntity } from '../certificate.entity';

export interface IssuedCertificate {
  certificate: CertificateEntity;
  application: ApplicationEntity;
  version: CertificateTypeVersionEntity;
}

/**
 * Something that must happen because a certificate was issued (a delivery to another system), written
 * in the transaction that records the issue: it commits with it or not at all.
 */
export interface IssuanceListener {
  /** Certificates recorded together (one or more), in the issuing transaction. */
  onIssued(manager: EntityManager, issued: readonly IssuedCertificate[]): Promise<void>;
}

/** Contexts that follow issuing register here at module init; the issuer calls them in its transaction. */
@Injectable()
export class IssuanceListeners {
  private readonly listeners: IssuanceListener[] = [];

  register(listener: IssuanceListener): void {
    this.listeners.push(listener);
  }

  async notify(manager: EntityManager, issued: readonly IssuedCertificate[]): Promise<void> {
    if (issued.length === 0) return;
    for (const listener of this.listeners) await listener.onIssued(manager, issued);
  }
}
