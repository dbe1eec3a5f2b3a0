import type { Provider } from '@nestjs/common';
import { SIGNING_CONFIG, type SigningConfig } from '@zhengming/config';
import type { KeyStore } from './key-store';
import { Pkcs11KeyStore } from './pkcs11-key-store';
import { SoftwareKeyStore } from './software-key-store';

export const KEY_STORE = Symbol('KEY_STORE');

export function createKeyStore(config: SigningConfig): KeyStore {
  const store = config.keyStore;
  return store.kind === 'software'
    ? new SoftwareKeyStore({ keys: store.keys, activeKeyId: store.activeKeyId })
    : new Pkcs11KeyStore({ library: store.library, tokenLabel: store.tokenLabel, pin: store.pin });
}

export const keyStoreProvider: Provider = {
  provide: KEY_STORE,
  inject: [SIGNING_CONFIG],
  useFactory: createKeyStore,
};
