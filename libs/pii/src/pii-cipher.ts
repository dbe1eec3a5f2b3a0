import { createHmac, timingSafeEqual } from 'node:crypto';
import { KeyringCipher, SealedValueError } from './keyring-cipher';

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

export class PiiDecryptionError extends Error {
  constructor(reason: string) {
    super(`Personal data could not be decrypted: ${reason}`);
    this.name = 'PiiDecryptionError';
  }
}

/**
 * Field-level encryption of personal data with AES-256-GCM (`KeyringCipher`, format `zp1`): a stored
 * value reads `zp1.<keyId>.<iv>.<ciphertext+tag>`, so keys can rotate. The field name is additional
 * authenticated data, so a phone ciphertext pasted into the ID-number column does not decrypt.
 */
export class PiiCipher {
  private readonly sealer: KeyringCipher;

  constructor(private readonly keyring: PiiKeyring) {
    this.sealer = new KeyringCipher('zp1', keyring.encryptionKeys, keyring.activeKeyId, 'PII key');
    if (keyring.hashKey.length < 32) throw new Error('The PII hash key must be at least 32 bytes');
  }

  encrypt(field: PiiField, plaintext: string): string {
    return this.sealer.seal(field, Buffer.from(plaintext, 'utf8'));
  }

  decrypt(field: PiiField, stored: string): string {
    try {
      return this.sealer.open(field, stored).toString('utf8');
    } catch (error) {
      throw error instanceof SealedValueError ? new PiiDecryptionError(error.reason) : error;
    }
  }

  /** True when the value was written under a key other than the active one and should be re-encrypted. */
  isStale(stored: string): boolean {
    return this.sealer.isStale(stored);
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
