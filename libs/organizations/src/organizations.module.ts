import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrganizationEntity } from './organization.entity';
import { OrganizationsRepository } from './organizations.repository';
import { OrganizationsService } from './organizations.service';
import { OrganizationRegistryService } from './organization-registry.service';
import { OrganizationNames } from './organization-names';

@Module({
  imports: [TypeOrmModule.forFeature([OrganizationEntity])],
  providers: [OrganizationsRepository, OrganizationsService, OrganizationRegistryService, OrganizationNames],
  exports: [OrganizationsService, OrganizationRegistryService, OrganizationNames],
})
export class OrganizationsModule {}
