/**
 * The key store port. Private keys never leave a store in plaintext: the software store keeps them
 * encrypted at rest under a key-encryption key from configuration, the PKCS#11 store keeps them in
 * the HSM. What a caller persists is the opaque handle the store returned when it made the key.
 */
export const KEY_ALGORITHMS = ['ec-p256', 'rsa-2048'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export const KEY_STORE_KINDS = ['software', 'pkcs11'] as const;
export type KeyStoreKind = (typeof KEY_STORE_KINDS)[number];

export interface StoredKey {
  algorithm: KeyAlgorithm;
  /** What the store needs to find the private key again (ciphertext for `software`, object id for `pkcs11`). */
  handle: string;
}

export interface GeneratedKey extends StoredKey {
  /** SubjectPublicKeyInfo, DER. */
  publicKeySpki: Buffer;
}

export interface KeyStore {
  readonly kind: KeyStoreKind;
  /** Makes a new key pair; `label` names it for operators (e.g. the seal code). */
  generate(algorithm: KeyAlgorithm, label: string): Promise<GeneratedKey>;
  /**
   * Signs `data` with SHA-256 as CMS and X.509 expect it: a DER `ECDSA-Sig-Value` for EC keys,
   * an RSASSA-PKCS1-v1_5 signature for RSA keys.
   */
  sign(key: StoredKey, data: Uint8Array): Promise<Buffer>;
  /** Deletes a key that was made but never used (a lost race); a no-op where nothing is held. */
  destroy(key: StoredKey): Promise<void>;
  close(): Promise<void>;
}

/** Something that signs bytes with one key: what the CMS and PDF code needs, nothing more. */
export interface DataSigner {
  readonly algorithm: KeyAlgorithm;
  sign(data: Uint8Array): Promise<Buffer>;
}

export function signerFor(store: KeyStore, key: StoredKey): DataSigner {
  return { algorithm: key.algorithm, sign: (data) => store.sign(key, data) };
}
