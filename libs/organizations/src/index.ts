export * from './organization';
export * from './organization.entity';
export * from './organization.exception';
export * from './committee-registry';
export * from './organizations.repository';
export * from './organizations.service';
export * from './organization-registry.service';
export * from './organizations.module';
