export * from './certificate-type-definition';
export * from './certificate-type.entity';
export * from './certificate-type.exception';
export * from './certificate-types.service';
export * from './certificate-types.module';
