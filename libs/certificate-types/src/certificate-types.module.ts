import { Module } from '@nestjs/common';
import { CertificateTypesService } from './certificate-types.service';

@Module({
  providers: [CertificateTypesService],
  exports: [CertificateTypesService],
})
export class CertificateTypesModule {}
