import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger, PinoLogger } from 'nestjs-pino';
import type { AppConfig } from '@zhengming/config';
import { AppModule } from './app.module';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { createValidationPipe } from './http/validation.pipe';
import { MetricsService } from './metrics/metrics.service';
import { REQUEST_ID_HEADER, requestIdOf } from './http/request-id';
import { serveWebApp } from './web/web-app';
import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import { MULTIPART_LIMITS } from './applications/material-upload';
import { mountQueueBoard } from './deliveries/queue-board';
import { DirectVerificationRoute, VERIFICATION_ROUTE } from './verification/direct-verification-route';
import { installRequestLogging } from './http/request-logging';

/** Builds the HTTP application: the entry point and the tests boot exactly the same thing. */
export async function createApiApplication(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    // No Nest middleware here (request logging is a Fastify hook, see installRequestLogging), so
    // @fastify/middie is not registered and costs requests nothing.
    skipMiddie: true,
    bodyLimit: config.http.bodyLimitBytes,
    genReqId: requestIdOf,
    requestIdHeader: false,
    routerOptions: { maxParamLength: 200 },
    trustProxy: config.http.trustProxy,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const errors = new ApiExceptionFilter();
  app.useGlobalFilters(errors);
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  await app.register(fastifyCookie);
  await app.register(fastifyMultipart, { limits: { ...MULTIPART_LIMITS, fileSize: config.materials.maxBytes } });
  await mountQueueBoard(app, config.redis);
  await serveWebApp(app);

  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  installRequestLogging(fastify, await app.resolve(PinoLogger), {
    // Each check is recorded in the verifications table and counted in the request metrics; a log
    // line (and a request-bound logger) per check would be the largest cost of a check after the
    // lookup, and at thousands a second the largest stream in the logs.
    unloggedRoutes: [VERIFICATION_ROUTE],
    quietPaths: ['/health', '/metrics'],
  });
  app.get(DirectVerificationRoute).install(fastify, errors);
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('正明 · 电子证明服务系统 API')
      .setDescription(
        'Electronic basic-level certificates of Zengcheng district. Every error answers ' +
          '`{ "code": "UPPER_SNAKE", "message": "<zh-CN>", "details": ... }`.',
      )
      .setVersion('0.1.0')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
  });
  return app;
}
