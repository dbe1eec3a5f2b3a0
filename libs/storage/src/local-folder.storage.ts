import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import {
  assertValidStorageKey,
  ObjectStorage,
  StorageKeyInvalidError,
  StorageObjectNotFoundError,
} from './object-storage';

/** Error codes meaning "there is no file at this path" (a missing file, or a folder in its way). */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function isAbsent(error: unknown): boolean {
  return ABSENT.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/**
 * Objects as files under one root folder: for a single-machine installation and for development.
 * Files are readable by the service user only (0600), folders 0700: materials carry personal data.
 */
export class LocalFolderStorage extends ObjectStorage {
  private readonly root: string;

  constructor(rootDir: string) {
    super();
    this.root = resolve(rootDir);
  }

  async put(key: string, body: Buffer, _contentType: string): Promise<void> {
    const path = this.pathOf(key);
    const folder = dirname(path);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    // Written beside the target and renamed over it: rename is atomic within one file system, so a
    // reader sees the old object or the new one, never a half-written file, even after a crash.
    // The leading dot cannot collide with a key (every key segment starts with a letter or digit).
    const temporary = join(folder, `.${basename(path)}.${randomUUID()}.tmp`);
    try {
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if (isAbsent(error)) throw new StorageObjectNotFoundError(key);
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (!isAbsent(error)) throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (error) {
      if (isAbsent(error)) return false;
      throw error;
    }
  }

  private pathOf(key: string): string {
    assertValidStorageKey(key);
    const path = join(this.root, ...key.split('/'));
    // The key check already excludes traversal; this guards the invariant should the check ever change.
    if (!path.startsWith(this.root + sep)) throw new StorageKeyInvalidError(key, 'outside the storage root');
    return path;
  }
}
