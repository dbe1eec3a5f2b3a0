export * from './enterprise.entities';
export * from './enterprise.exception';
export * from './enterprise-seals.service';
export * from './seal-use.service';
export * from './enterprises.module';
