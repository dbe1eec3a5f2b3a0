import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DATABASE_CONFIG, type DatabaseConfig } from '@zhengming/config';
import { buildDataSourceOptions, type SchemaParts } from './data-source-options';
import { EmbeddedPostgres } from './embedded-postgres';

/**
 * Owns the embedded server's lifetime. The server must outlive the data source that talks to it, so
 * on shutdown the data source is closed first, whichever module's hook Nest runs first.
 */
@Injectable()
export class DatabaseLifecycle implements OnApplicationShutdown {
  private embedded: EmbeddedPostgres | undefined;

  constructor(
    @Inject(DATABASE_CONFIG) private readonly config: DatabaseConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  get mode(): DatabaseConfig['mode'] {
    return this.config.mode;
  }

  async embeddedUrl(): Promise<string | undefined> {
    if (this.config.mode !== 'embedded') return undefined;
    this.embedded ??= await EmbeddedPostgres.start(this.config.dataDir);
    return this.embedded.url;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.embedded) return;
    const dataSource = this.moduleRef.get(DataSource, { strict: false });
    if (dataSource.isInitialized) await dataSource.destroy();
    await this.embedded.stop();
    this.embedded = undefined;
  }
}

@Global()
@Module({ providers: [DatabaseLifecycle], exports: [DatabaseLifecycle] })
class DatabaseLifecycleModule {}

@Module({})
export class DatabaseModule {
  /** `applicationName`: how this process's connections are named, the system's name by default. */
  static forRoot(schema: SchemaParts, applicationName?: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        DatabaseLifecycleModule,
        TypeOrmModule.forRootAsync({
          imports: [DatabaseLifecycleModule],
          inject: [DATABASE_CONFIG, DatabaseLifecycle],
          useFactory: async (config: DatabaseConfig, lifecycle: DatabaseLifecycle) =>
            buildDataSourceOptions(config, schema, await lifecycle.embeddedUrl(), applicationName),
        }),
      ],
      exports: [DatabaseLifecycleModule],
    };
  }
}
