import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** A sealed value that cannot be opened; `reason` says why without revealing anything of it. */
export class SealedValueError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SealedValueError';
  }
}

/**
 * AES-256-GCM under a keyring from configuration. A sealed value reads
 * `<format>.<keyId>.<iv>.<ciphertext+tag>` (base64url) and names the key it was sealed under, so
 * keys rotate: new values go under the active key, old ones still open under theirs. `context` is
 * associated data: a value sealed for one purpose (a field, a key algorithm) does not open for another.
 * Personal data and the software key store's private keys are both sealed this way.
 */
export class KeyringCipher {
  constructor(
    private readonly format: string,
    private readonly keys: ReadonlyMap<string, Buffer>,
    private readonly activeKeyId: string,
    /** Names the keyring in configuration errors, e.g. "PII key". */
    what: string,
  ) {
    for (const [id, key] of keys) {
      if (key.length !== 32) throw new Error(`${what} ${id} must be 32 bytes`);
      if (!KEY_ID.test(id)) throw new Error(`${what} id ${id} must be 1-32 of [A-Za-z0-9_-]`);
    }
    if (!keys.has(activeKeyId)) throw new Error(`The active ${what} ${activeKeyId} is not in the keyring`);
  }

  seal(context: string, plaintext: Buffer): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return [this.format, this.activeKeyId, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(context: string, sealed: string): Buffer {
    const [format, keyId, ivText, bodyText, ...rest] = sealed.split('.');
    if (format !== this.format || !keyId || !ivText || !bodyText || rest.length > 0) {
      throw new SealedValueError('unknown format');
    }
    const key = this.keys.get(keyId);
    if (!key) throw new SealedValueError(`key ${keyId} is not configured`);
    const body = Buffer.from(bodyText, 'base64url');
    const iv = Buffer.from(ivText, 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SealedValueError('truncated value');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SealedValueError('authentication failed');
    }
  }

  /** True when the value was sealed under a key other than the active one and should be sealed again. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.activeKeyId;
  }
}
