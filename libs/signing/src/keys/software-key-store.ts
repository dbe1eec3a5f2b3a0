import { createCipheriv, createDecipheriv, createPrivateKey, generateKeyPair, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { GeneratedKey, KeyAlgorithm, KeyStore, StoredKey } from './key-store';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface SoftwareKeyStoreOptions {
  /** Key-encryption keys by id (32 bytes each); older ones stay so that keys wrapped under them still open. */
  keys: Map<string, Buffer>;
  activeKeyId: string;
}

/** Handle layout: `v1.<kek id>.<base64url(iv ‖ tag ‖ AES-256-GCM(PKCS#8 DER))>`. */
const HANDLE = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]+)$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Plaintext keys kept in memory; 366 seals and their approvers fit with room to spare. */
const CACHE_LIMIT = 4096;

/**
 * Private keys as PKCS#8, encrypted with AES-256-GCM under a key-encryption key from configuration.
 * The algorithm is bound as associated data, so a handle cannot be replayed as another key type.
 */
export class SoftwareKeyStore implements KeyStore {
  readonly kind = 'software' as const;
  private readonly opened = new Map<string, KeyObject>();

  constructor(private readonly options: SoftwareKeyStoreOptions) {
    if (!options.keys.has(options.activeKeyId)) throw new Error(`Unknown key-encryption key ${options.activeKeyId}`);
  }

  /** The label names HSM objects; a software key is known by its database row instead. */
  async generate(algorithm: KeyAlgorithm, _label?: string): Promise<GeneratedKey> {
    const { publicKey, privateKey } =
      algorithm === 'ec-p256'
        ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
        : await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    const handle = this.wrap(algorithm, privateKey.export({ type: 'pkcs8', format: 'der' }));
    this.remember({ algorithm, handle }, privateKey);
    return { algorithm, handle, publicKeySpki: publicKey.export({ type: 'spki', format: 'der' }) };
  }

  sign(key: StoredKey, data: Uint8Array): Promise<Buffer> {
    try {
      return Promise.resolve(sign('sha256', data, this.open(key)));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  destroy(key: StoredKey): Promise<void> {
    this.opened.delete(cacheKey(key));
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.opened.clear();
    return Promise.resolve();
  }

  private wrap(algorithm: KeyAlgorithm, pkcs8: Buffer): string {
    const kekId = this.options.activeKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.options.keys.get(kekId)!, iv);
    cipher.setAAD(Buffer.from(algorithm));
    const sealed = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
    pkcs8.fill(0);
    return `v1.${kekId}.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  private open(key: StoredKey): KeyObject {
    const cached = this.opened.get(cacheKey(key));
    if (cached) return cached;
    const match = HANDLE.exec(key.handle);
    if (!match) throw new Error('Not a software key handle');
    const kek = this.options.keys.get(match[1]);
    if (!kek) throw new Error(`Key-encryption key ${match[1]} is not configured (KEY_ENCRYPTION_KEYS)`);
    const raw = Buffer.from(match[2], 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', kek, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(key.algorithm));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const pkcs8 = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    pkcs8.fill(0);
    this.remember(key, privateKey);
    return privateKey;
  }

  private remember(key: StoredKey, privateKey: KeyObject): void {
    if (this.opened.size >= CACHE_LIMIT) this.opened.delete(this.opened.keys().next().value!);
    this.opened.set(cacheKey(key), privateKey);
  }
}

/** The algorithm is part of the key: a cached key must not answer for a handle claimed as another type. */
function cacheKey(key: StoredKey): string {
  return `${key.algorithm}:${key.handle}`;
}
