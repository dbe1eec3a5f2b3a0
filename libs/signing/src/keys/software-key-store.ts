import { createPrivateKey, generateKeyPair, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { KeyringCipher, SealedValueError } from '@zhengming/pii';
import type { GeneratedKey, KeyAlgorithm, KeyStore, StoredKey } from './key-store';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface SoftwareKeyStoreOptions {
  /** Key-encryption keys by id (32 bytes each); older ones stay so that keys wrapped under them still open. */
  keys: Map<string, Buffer>;
  activeKeyId: string;
}

/** Plaintext keys kept in memory; 366 seals and their approvers fit with room to spare. */
const CACHE_LIMIT = 4096;

/**
 * Private keys as PKCS#8, sealed with AES-256-GCM under a key-encryption key from configuration
 * (`KeyringCipher`; the handle reads `v1.<kek id>.<iv>.<ciphertext+tag>`). The algorithm is bound as
 * associated data, so a handle cannot be replayed as another key type.
 */
export class SoftwareKeyStore implements KeyStore {
  readonly kind = 'software' as const;
  private readonly opened = new Map<string, KeyObject>();
  private readonly sealer: KeyringCipher;

  constructor(options: SoftwareKeyStoreOptions) {
    this.sealer = new KeyringCipher('v1', options.keys, options.activeKeyId, 'key-encryption key');
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
    const handle = this.sealer.seal(algorithm, pkcs8);
    pkcs8.fill(0);
    return handle;
  }

  private open(key: StoredKey): KeyObject {
    const cached = this.opened.get(cacheKey(key));
    if (cached) return cached;
    let pkcs8: Buffer;
    try {
      pkcs8 = this.sealer.open(key.algorithm, key.handle);
    } catch (error) {
      if (!(error instanceof SealedValueError)) throw error;
      throw new Error(`Software key handle cannot be opened: ${error.reason} (KEY_ENCRYPTION_KEYS)`, { cause: error });
    }
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
