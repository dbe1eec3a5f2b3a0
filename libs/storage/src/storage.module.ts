import { Global, Module } from '@nestjs/common';
import { STORAGE_CONFIG, type StorageConfig } from '@zhengming/config';
import { LocalFolderStorage } from './local-folder.storage';
import { ObjectStorage } from './object-storage';
import { S3Storage } from './s3.storage';

/** The adapter STORAGE_DRIVER names. */
export function createObjectStorage(config: StorageConfig): ObjectStorage {
  switch (config.driver) {
    case 'local':
      return new LocalFolderStorage(config.localDir);
    case 's3':
      return new S3Storage(config);
  }
}

/** Provides `ObjectStorage` to every module; inject it by its class. */
@Global()
@Module({
  providers: [{ provide: ObjectStorage, inject: [STORAGE_CONFIG], useFactory: createObjectStorage }],
  exports: [ObjectStorage],
})
export class StorageModule {}
