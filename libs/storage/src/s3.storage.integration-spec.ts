import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { StorageErrorCode, StorageKeyInvalidError, StorageObjectNotFoundError } from './object-storage';
import { S3Storage } from './s3.storage';

/** A real S3-compatible server, in process, on a free port, over a throw-away folder. */
describe(S3Storage.name, () => {
  const bucket = 'zhengming-test';
  let directory: string;
  let server: S3rver;
  let sut: S3Storage;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'zhengming-s3rver-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      directory,
      silent: true,
      configureBuckets: [{ name: bucket }],
    });
    const { port } = await server.run();
    sut = new S3Storage({
      driver: 's3',
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      bucket,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    });
  });

  afterAll(async () => {
    sut?.onApplicationShutdown();
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('gives back the exact bytes it stored', async () => {
    const body = randomBytes(300_000);
    await sut.put('materials/2026/11/abc', body, 'image/jpeg');
    expect(await sut.get('materials/2026/11/abc')).toEqual(body);
    expect(await sut.exists('materials/2026/11/abc')).toBe(true);
  });

  it('replaces an object written again under the same key', async () => {
    await sut.put('k/one', Buffer.from('first version, longer'), 'text/plain');
    await sut.put('k/one', Buffer.from('second'), 'text/plain');
    expect((await sut.get('k/one')).toString()).toBe('second');
  });

  it('reports an absent object as not found', async () => {
    const error = await sut.get('materials/none').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageObjectNotFoundError);
    expect(error).toMatchObject({ code: StorageErrorCode.ObjectNotFound });
    expect(await sut.exists('materials/none')).toBe(false);
  });

  it('deletes an object, and deleting an absent one is not an error', async () => {
    await sut.put('k/two', Buffer.from('x'), 'text/plain');
    await sut.delete('k/two');
    expect(await sut.exists('k/two')).toBe(false);
    await expect(sut.delete('k/two')).resolves.toBeUndefined();
  });

  it('refuses invalid keys before calling the server', async () => {
    for (const key of ['../outside', '/etc/passwd', 'Materials/X']) {
      await expect(sut.put(key, Buffer.from('x'), 'text/plain')).rejects.toBeInstanceOf(StorageKeyInvalidError);
      await expect(sut.get(key)).rejects.toBeInstanceOf(StorageKeyInvalidError);
      await expect(sut.exists(key)).rejects.toBeInstanceOf(StorageKeyInvalidError);
      await expect(sut.delete(key)).rejects.toBeInstanceOf(StorageKeyInvalidError);
    }
  });
});
