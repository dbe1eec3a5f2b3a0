import { Module } from '@nestjs/common';
import { CertificateTypesModule } from '@zhengming/certificate-types';
import { IdentityModule } from '@zhengming/identity';
import { OrganizationsModule } from '@zhengming/organizations';
import { ApplicationsService } from './applications.service';
import { WorkingCalendarService } from './working-calendar.service';

@Module({
  imports: [CertificateTypesModule, IdentityModule, OrganizationsModule],
  providers: [ApplicationsService, WorkingCalendarService],
  exports: [ApplicationsService, WorkingCalendarService],
})
export class ApplicationsModule {}
