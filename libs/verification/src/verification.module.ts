import { Module } from '@nestjs/common';
import { CertificatesModule } from '@zhengming/certificates';
import { EnterprisesModule } from '@zhengming/enterprises';
import { OrganizationsModule } from '@zhengming/organizations';
import { PdfVerificationService } from './pdf-verification.service';
import { PresentationsService } from './presentations.service';
import { VerificationLog } from './verification-log';
import { VerificationService } from './verification.service';

@Module({
  imports: [CertificatesModule, EnterprisesModule, OrganizationsModule],
  providers: [VerificationLog, VerificationService, PresentationsService, PdfVerificationService],
  exports: [VerificationService, PresentationsService, PdfVerificationService],
})
export class VerificationModule {}
