export * from './object-storage';
export * from './local-folder.storage';
export * from './s3.storage';
export * from './storage.module';
