import 'reflect-metadata';
import type { ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@zhengming/config';
import { RedisConnection } from '@zhengming/queue';
import { WorkerModule } from './worker.module';

/** Boots the worker; `extra` modules are for tests that need to reach inside a real worker process. */
export async function startWorker(
  config: AppConfig,
  extra: NonNullable<ModuleMetadata['imports']> = [],
): Promise<void> {
  // Without Redis there is no queue to work from: the API then runs every job in-process from the
  // outbox, and the embedded database cannot be shared with a second process anyway.
  if (!config.redis.url || config.database.mode !== 'server') {
    process.stderr.write(
      'The worker needs REDIS_URL and DATABASE_URL. Without them the API runs jobs in-process; ' +
        'no separate worker is needed (worker 需要 REDIS_URL 与 DATABASE_URL).\n',
    );
    process.exit(78);
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, extra), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const dataSource = app.get<DataSource>(getDataSourceToken());
  if (await dataSource.showMigrations()) {
    throw new Error('database migrations are pending: run `npm run db:migrate` first');
  }
  await app.get(RedisConnection).ping();
  app.get(Logger).log('worker started: database and Redis reachable');
}

export function exitOnStartFailure(error: unknown): never {
  process.stderr.write(
    `worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
}
