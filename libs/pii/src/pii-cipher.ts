import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Which personal field a value belongs to; bound into both the ciphertext and the lookup hash. */
export type PiiField = 'idNumber' | 'phone' | 'form' | 'verificationCode';

export interface PiiKeyring {
  /** Encryption keys by id (32 bytes each); old ids stay so that old rows can still be read. */
  encryptionKeys: ReadonlyMap<string, Buffer>;
  /** The key new values are encrypted under. */
  activeKeyId: string;
  /** Key of the keyed hash used for exact lookup; it cannot rotate without rehashing every row. */
  hashKey: Buffer;
}

const FORMAT = 'zp1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class PiiDecryptionError extends Error {
  constructor(reason: string) {
    super(`Personal data could not be decrypted: ${reason}`);
    this.name = 'PiiDecryptionError';
  }
}

/**
 * Field-level encryption of personal data with AES-256-GCM. A stored value reads
 * `zp1.<keyId>.<iv>.<ciphertext+tag>` (base64url), so keys can rotate: new writes use the active key,
 * reads use whichever key the value names. The field name is additional authenticated data, so a
 * phone ciphertext pasted into the ID-number column does not decrypt.
 */
export class PiiCipher {
  constructor(private readonly keyring: PiiKeyring) {
    for (const [id, key] of keyring.encryptionKeys) {
      if (key.length !== 32) throw new Error(`PII key ${id} must be 32 bytes`);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`PII key id ${id} must be 1-32 of [A-Za-z0-9_-]`);
    }
    if (!keyring.encryptionKeys.has(keyring.activeKeyId)) {
      throw new Error(`The active PII key ${keyring.activeKeyId} is not in the keyring`);
    }
    if (keyring.hashKey.length < 32) throw new Error('The PII hash key must be at least 32 bytes');
  }

  encrypt(field: PiiField, plaintext: string): string {
    const keyId = this.keyring.activeKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.encryptionKeys.get(keyId)!, iv);
    cipher.setAAD(Buffer.from(field));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [FORMAT, keyId, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(field: PiiField, stored: string): string {
    const [format, keyId, ivText, bodyText, ...rest] = stored.split('.');
    if (format !== FORMAT || !keyId || !ivText || !bodyText || rest.length > 0) {
      throw new PiiDecryptionError('unknown format');
    }
    const key = this.keyring.encryptionKeys.get(keyId);
    if (!key) throw new PiiDecryptionError(`key ${keyId} is not configured`);
    const body = Buffer.from(bodyText, 'base64url');
    const iv = Buffer.from(ivText, 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new PiiDecryptionError('truncated value');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(field));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new PiiDecryptionError('authentication failed');
    }
  }

  /** True when the value was written under a key other than the active one and should be re-encrypted. */
  isStale(stored: string): boolean {
    return stored.split('.')[1] !== this.keyring.activeKeyId;
  }

  /** Keyed hash (HMAC-SHA256, hex) of a normalised value, for exact lookup without decrypting. */
  hash(field: PiiField, normalized: string): string {
    return createHmac('sha256', this.keyring.hashKey).update(`${field}\u0000${normalized}`).digest('hex');
  }

  matches(field: PiiField, normalized: string, storedHash: string): boolean {
    const expected = Buffer.from(this.hash(field, normalized), 'hex');
    const actual = Buffer.from(storedHash, 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
