import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DATABASE_CONFIG, type DatabaseConfig } from '@zhengming/config';
import { PiiCipher } from '@zhengming/pii';
import { seedReferenceData } from '../../../db/seed';

/** On a first start the district's reference data is seeded, so a bare machine has a usable system. */
@Injectable()
export class ReferenceDataSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReferenceDataSeeder.name);

  constructor(
    @Inject(DATABASE_CONFIG) private readonly config: DatabaseConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: PiiCipher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedOnStart) return;
    const report = await seedReferenceData(this.dataSource, this.cipher);
    this.logger.log({ report }, 'reference data seeded');
  }
}
