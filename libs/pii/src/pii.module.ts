import { Global, Module } from '@nestjs/common';
import { PII_CONFIG, type PiiConfig } from '@zhengming/config';
import { PiiCipher } from './pii-cipher';

@Global()
@Module({
  providers: [{ provide: PiiCipher, inject: [PII_CONFIG], useFactory: (config: PiiConfig) => new PiiCipher(config) }],
  exports: [PiiCipher],
})
export class PiiModule {}
