import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum StorageErrorCode {
  ObjectNotFound = 'STORAGE_OBJECT_NOT_FOUND',
  KeyInvalid = 'STORAGE_KEY_INVALID',
}

export const storageErrorMessages: MessageCatalogue<StorageErrorCode> = {
  [StorageErrorCode.ObjectNotFound]: '文件不存在或已被删除',
  [StorageErrorCode.KeyInvalid]: '文件存储路径无效',
};

export class StorageException extends DomainException<StorageErrorCode> {
  constructor(code: StorageErrorCode, details?: unknown) {
    super(code, storageErrorMessages[code], details);
  }
}

export class StorageObjectNotFoundError extends StorageException {
  constructor(readonly key: string) {
    super(StorageErrorCode.ObjectNotFound, { key });
  }
}

export class StorageKeyInvalidError extends StorageException {
  constructor(key: string, reason: string) {
    // A rejected key may be hostile: echo a bounded prefix only.
    super(StorageErrorCode.KeyInvalid, { key: key.slice(0, 80), reason });
  }
}

export const MAX_STORAGE_KEY_LENGTH = 512;

const KEY_PATTERN = /^[a-z0-9][a-z0-9/_.-]*$/;
const SEGMENT_PATTERN = /^[a-z0-9][a-z0-9_.-]*$/;

/**
 * Keys are relative, slash-separated, lower-case paths such as `materials/2026/11/<uuid>`. They are
 * checked here, before any adapter sees them, so that the same key is valid for a folder and for a
 * bucket, and no key can climb out of the local root (`..`, absolute paths, backslashes, NUL bytes).
 * Every segment starts with a letter or digit: names starting with a dot stay free for the temporary
 * files of the local adapter.
 */
export function assertValidStorageKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new StorageKeyInvalidError(String(key), 'empty');
  if (key.length > MAX_STORAGE_KEY_LENGTH) throw new StorageKeyInvalidError(key, 'too long');
  if (key.includes('..')) throw new StorageKeyInvalidError(key, 'contains ..');
  if (!KEY_PATTERN.test(key)) throw new StorageKeyInvalidError(key, 'characters not allowed');
  if (!key.split('/').every((segment) => SEGMENT_PATTERN.test(segment))) {
    throw new StorageKeyInvalidError(key, 'empty or hidden path segment');
  }
}

/**
 * Where uploaded materials and issued documents are kept (a port: local folder or S3, chosen by
 * STORAGE_DRIVER). The content type is what S3 serves the object with; the local folder does not keep
 * it, so callers record it next to the key in the database.
 */
export abstract class ObjectStorage {
  /** Stores `body` under `key`, replacing what was there. Readers never see a partial object. */
  abstract put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** @throws StorageObjectNotFoundError when nothing is stored under `key`. */
  abstract get(key: string): Promise<Buffer>;
  /** Removes the object; removing an absent object is not an error (deletes are retried). */
  abstract delete(key: string): Promise<void>;
  abstract exists(key: string): Promise<boolean>;
}
