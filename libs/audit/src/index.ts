export * from './audit-chain';
export * from './audit-event.entity';
export * from './audit-log.service';
export * from './audit.module';
