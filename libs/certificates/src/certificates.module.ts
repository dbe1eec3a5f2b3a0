import { Module } from '@nestjs/common';
import { ApplicationsModule } from '@zhengming/applications';
import { CertificateTypesModule } from '@zhengming/certificate-types';
import { SigningModule } from '@zhengming/signing';
import { CertificatesService } from './certificates.service';
import { CertificateIssuer } from './issuing/certificate-issuer';
import { CertificateRenderer } from './issuing/certificate-renderer';

@Module({
  imports: [ApplicationsModule, CertificateTypesModule, SigningModule],
  providers: [CertificatesService, CertificateIssuer, CertificateRenderer],
  exports: [CertificatesService, CertificateIssuer, CertificateRenderer, SigningModule],
})
export class CertificatesModule {}
