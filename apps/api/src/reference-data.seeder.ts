import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DATABASE_CONFIG, type DatabaseConfig } from '@zhengming/config';
import { PiiCipher } from '@zhengming/pii';
import { PkiService, SealsService } from '@zhengming/signing';
import { seedReferenceData } from '../../../db/seed';

/** On a first start the district's reference data and its PKI are made, so a bare machine has a usable system. */
@Injectable()
export class ReferenceDataSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReferenceDataSeeder.name);

  constructor(
    @Inject(DATABASE_CONFIG) private readonly config: DatabaseConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: PiiCipher,
    private readonly pki: PkiService,
    private readonly seals: SealsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedOnStart) return;
    const report = await seedReferenceData(this.dataSource, this.cipher);
    this.logger.log({ report }, 'reference data seeded');
    // The embedded first start is `npm run pki:init` too: the district CAs, then a seal per committee.
    const pki = await this.pki.initialize();
    const seals = await this.seals.ensureCommitteeSeals();
    this.logger.log({ pkiCreated: pki.created, seals }, 'district PKI and committee seals ready');
  }
}
