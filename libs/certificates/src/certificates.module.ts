import { Module } from '@nestjs/common';
import { ApplicationsModule } from '@zhengming/applications';
import { CertificateTypesModule } from '@zhengming/certificate-types';
import { OrganizationsModule } from '@zhengming/organizations';
import { SigningModule } from '@zhengming/signing';
import { CertificatesService } from './certificates.service';
import { CertificateIssuer } from './issuing/certificate-issuer';
import { CertificateRenderer } from './issuing/certificate-renderer';
import { IssuanceListeners } from './issuing/issuance-listeners';
import { SealReinstatementListener } from './issuing/seal-reinstatement.listener';

@Module({
  imports: [ApplicationsModule, CertificateTypesModule, OrganizationsModule, SigningModule],
  providers: [
    CertificatesService,
    CertificateIssuer,
    CertificateRenderer,
    IssuanceListeners,
    SealReinstatementListener,
  ],
  exports: [CertificatesService, CertificateIssuer, CertificateRenderer, IssuanceListeners, SigningModule],
})
export class CertificatesModule {}
