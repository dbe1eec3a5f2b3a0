import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFolderStorage } from './local-folder.storage';
import {
  assertValidStorageKey,
  StorageErrorCode,
  StorageKeyInvalidError,
  StorageObjectNotFoundError,
} from './object-storage';

const hostileKeys = [
  '',
  '../etc/passwd',
  'materials/../../etc/passwd',
  'materials/..',
  '/etc/passwd',
  'materials//x',
  'materials/x/',
  'materials/.hidden',
  'Materials/X',
  'materials\\..\\x',
  'materials/x\u0000y',
  'materials/文件',
  'a'.repeat(513),
];

describe(assertValidStorageKey.name, () => {
  it('accepts the keys the system generates', () => {
    for (const key of ['materials/2026/11/0b9f5c2e-6c7e-4f1e-9d7a-2f0c1e5b7a10', 'certificates/x_1.pdf', 'a']) {
      expect(() => assertValidStorageKey(key)).not.toThrow();
    }
    expect(() => assertValidStorageKey('a'.repeat(512))).not.toThrow();
  });

  it.each(hostileKeys.map((key) => [JSON.stringify(key.slice(0, 40)), key]))('refuses %s', (_shown, key) => {
    expect(() => assertValidStorageKey(key)).toThrow(StorageKeyInvalidError);
  });
});

describe(LocalFolderStorage.name, () => {
  let root: string;
  let sut: LocalFolderStorage;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'zhengming-storage-'));
    sut = new LocalFolderStorage(join(root, 'objects'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives back the exact bytes it stored, creating folders as needed', async () => {
    const body = randomBytes(100_000);
    await sut.put('materials/2026/11/abc', body, 'image/jpeg');
    expect(await sut.get('materials/2026/11/abc')).toEqual(body);
    expect(await sut.exists('materials/2026/11/abc')).toBe(true);
  });

  it('keeps files private to the service user and leaves no temporary file behind', async () => {
    await sut.put('materials/2026/11/abc', Buffer.from('x'), 'text/plain');
    const file = await stat(join(root, 'objects/materials/2026/11/abc'));
    expect(file.mode & 0o777).toBe(0o600);
    expect(await readdir(join(root, 'objects/materials/2026/11'))).toEqual(['abc']);
  });

  it('replaces an object written again under the same key', async () => {
    await sut.put('k/one', Buffer.from('first version, longer'), 'text/plain');
    await sut.put('k/one', Buffer.from('second'), 'text/plain');
    expect((await sut.get('k/one')).toString()).toBe('second');
  });

  it('reports an absent object as not found', async () => {
    const error = await sut.get('materials/none').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageObjectNotFoundError);
    expect(error).toMatchObject({ code: StorageErrorCode.ObjectNotFound, details: { key: 'materials/none' } });
    expect(await sut.exists('materials/none')).toBe(false);
  });

  it('deletes an object, and deleting an absent one is not an error', async () => {
    await sut.put('k/one', Buffer.from('x'), 'text/plain');
    await sut.delete('k/one');
    expect(await sut.exists('k/one')).toBe(false);
    await expect(sut.delete('k/one')).resolves.toBeUndefined();
    await expect(sut.delete('never/written/here')).resolves.toBeUndefined();
  });

  it('does not take a folder for an object', async () => {
    await sut.put('k/sub/one', Buffer.from('x'), 'text/plain');
    expect(await sut.exists('k/sub')).toBe(false);
    await expect(sut.get('k/sub')).rejects.toBeInstanceOf(StorageObjectNotFoundError);
  });

  it('refuses keys that would leave the root, for every operation', async () => {
    for (const key of ['../outside', 'a/../../outside', '/etc/passwd']) {
      await expect(sut.put(key, Buffer.from('x'), 'text/plain')).rejects.toBeInstanceOf(StorageKeyInvalidError);
      await expect(sut.get(key)).rejects.toBeInstanceOf(StorageKeyInvalidError);
      await expect(sut.exists(key)).rejects.toBeInstanceOf(StorageKeyInvalidError);
      await expect(sut.delete(key)).rejects.toBeInstanceOf(StorageKeyInvalidError);
    }
    expect(await readdir(root)).toEqual([]);
  });
});
