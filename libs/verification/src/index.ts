export * from './verification.entities';
export * from './verification.exception';
export * from './verification-log';
export * from './verification.service';
export * from './presentations.service';
export * from './pdf-verification.service';
export * from './verification.module';
