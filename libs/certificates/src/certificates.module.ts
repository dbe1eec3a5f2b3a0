import { Module } from '@nestjs/common';
import { ApplicationsModule } from '@zhengming/applications';
import { CertificateTypesModule } from '@zhengming/certificate-types';
import { SigningModule } from '@zhengming/signing';
import { CertificatesService } from './certificates.service';
import { CertificateIssuer } from './issuing/certificate-issuer';
import { CertificateRenderer } from './issuing/certificate-renderer';
import { IssuanceListeners } from './issuing/issuance-listeners';

@Module({
  imports: [ApplicationsModule, CertificateTypesModule, SigningModule],
  providers: [CertificatesService, CertificateIssuer, CertificateRenderer, IssuanceListeners],
  exports: [CertificatesService, CertificateIssuer, CertificateRenderer, IssuanceListeners, SigningModule],
})
export class CertificatesModule {}
