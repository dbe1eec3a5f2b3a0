export * from './chinese-id-number';
export * from './masking';
export * from './keyring-cipher';
export * from './pii-cipher';
export * from './pii.module';
