import { Module } from '@nestjs/common';
import { IdentityModule } from '@zhengming/identity';
import { SigningModule } from '@zhengming/signing';
import { EnterpriseSealsService } from './enterprise-seals.service';
import { SealUseService } from './seal-use.service';

@Module({
  imports: [IdentityModule, SigningModule],
  providers: [EnterpriseSealsService, SealUseService],
  exports: [EnterpriseSealsService, SealUseService],
})
export class EnterprisesModule {}
