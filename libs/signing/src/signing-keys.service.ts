import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SIGNING_CONFIG, type SigningConfig } from '@zhengming/config';
import { KEY_STORE } from './keys/key-store.provider';
import { signerFor, type DataSigner, type KeyAlgorithm, type KeyStore } from './keys/key-store';
import { SigningKeyEntity } from './signing.entities';
import { SigningErrorCode, SigningException } from './signing.exception';

/** Makes keys in the configured store and records them; hands out signers for recorded keys. */
@Injectable()
export class SigningKeysService {
  /** Key rows never change once written: each is read once per process. */
  private readonly rows = new Map<string, SigningKeyEntity>();

  constructor(
    @Inject(KEY_STORE) private readonly store: KeyStore,
    @Inject(SIGNING_CONFIG) private readonly config: SigningConfig,
  ) {}

  /** A new key of the configured algorithm, or of `algorithm` where a format fixes it (ES256 tokens). */
  async create(
    manager: EntityManager,
    label: string,
    algorithm: KeyAlgorithm = this.config.algorithm,
  ): Promise<SigningKeyEntity> {
    const generated = await this.store.generate(algorithm, label);
    const row = manager.create(SigningKeyEntity, {
      store: this.store.kind,
      algorithm: generated.algorithm,
      label,
      handle: generated.handle,
      publicKeySpki: generated.publicKeySpki,
    });
    await manager.insert(SigningKeyEntity, row);
    return row;
  }

  async signerById(manager: EntityManager, id: string): Promise<DataSigner> {
    return this.signer(await this.keyRow(manager, id));
  }

  async keyRow(manager: EntityManager, id: string): Promise<SigningKeyEntity> {
    let row = this.rows.get(id);
    if (!row) {
      row = await manager.findOneByOrFail(SigningKeyEntity, { id });
      this.rows.set(id, row);
    }
    return row;
  }

  signer(key: Pick<SigningKeyEntity, 'id' | 'store' | 'algorithm' | 'handle'>): DataSigner {
    if (key.store !== this.store.kind) {
      throw new SigningException(SigningErrorCode.KeyStoreMismatch, { keyId: key.id, store: key.store });
    }
    return signerFor(this.store, key);
  }
}
