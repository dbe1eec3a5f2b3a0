import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ExpressAdapter } from '@nestjs/platform-express';
import { loadRuntimeConfig } from '@zhengming/config';
import { AppModule } from '../apps/api/src/app.module';
import { ApiExceptionFilter } from '../apps/api/src/http/api-exception.filter';
import { createValidationPipe } from '../apps/api/src/http/validation.pipe';

/**
 * The API's own module on either HTTP adapter, for the adapter comparison: same controllers, same
 * validation, same logging middleware, same database; only the HTTP layer differs.
 */
async function main(): Promise<void> {
  const [adapterName] = process.argv.slice(2);
  const config = loadRuntimeConfig();
  const adapter = adapterName === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(AppModule.forRoot(config), adapter, { logger: false });
  app.useGlobalFilters(new ApiExceptionFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  await app.listen(config.http.port, '127.0.0.1');
}

void main();
