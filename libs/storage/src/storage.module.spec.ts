import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { STORAGE_CONFIG, type StorageConfig } from '@zhengming/config';
import { LocalFolderStorage } from './local-folder.storage';
import { ObjectStorage } from './object-storage';
import { S3Storage } from './s3.storage';
import { StorageModule } from './storage.module';

async function storageFor(config: StorageConfig): Promise<ObjectStorage> {
  @Global()
  @Module({ providers: [{ provide: STORAGE_CONFIG, useValue: config }], exports: [STORAGE_CONFIG] })
  class FakeConfigModule {}
  const moduleRef = await Test.createTestingModule({ imports: [FakeConfigModule, StorageModule] }).compile();
  return moduleRef.get(ObjectStorage);
}

describe(StorageModule.name, () => {
  it('provides the local folder adapter when STORAGE_DRIVER=local', async () => {
    expect(await storageFor({ driver: 'local', localDir: '/tmp/zhengming-never-written' })).toBeInstanceOf(
      LocalFolderStorage,
    );
  });

  it('provides the S3 adapter when STORAGE_DRIVER=s3', async () => {
    const sut = await storageFor({
      driver: 's3',
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      bucket: 'b',
      accessKeyId: 'a',
      secretAccessKey: 's',
      forcePathStyle: true,
    });
    expect(sut).toBeInstanceOf(S3Storage);
    (sut as S3Storage).onApplicationShutdown();
  });
});
