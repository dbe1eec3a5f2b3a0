import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { KEY_STORE, keyStoreProvider } from './keys/key-store.provider';
import type { KeyStore } from './keys/key-store';
import { PersonalCertificatesService } from './personal-certificates.service';
import { PkiService } from './pki.service';
import { SealsService } from './seals.service';
import { CrlService } from './crl.service';
import { SealLifecycleService } from './seal-lifecycle.service';
import { SigningKeysService } from './signing-keys.service';
import { TimestampService } from './timestamp/timestamp.service';

@Module({
  providers: [
    keyStoreProvider,
    SigningKeysService,
    PkiService,
    SealsService,
    PersonalCertificatesService,
    TimestampService,
    CrlService,
    SealLifecycleService,
  ],
  exports: [
    KEY_STORE,
    SigningKeysService,
    PkiService,
    SealsService,
    PersonalCertificatesService,
    CrlService,
    SealLifecycleService,
    TimestampService,
  ],
})
export class SigningModule implements OnApplicationShutdown {
  constructor(@Inject(KEY_STORE) private readonly store: KeyStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
