import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';

/** Where `npm run build` puts the web app: dist/web, beside dist/apps. */
export const WEB_ROOT = join(__dirname, '../../../../web');

/** Paths that never fall back to the web app: a wrong API address must answer with a coded 404. */
const SERVER_PREFIXES = ['/api/', '/health', '/metrics', '/admin/queues'];

/**
 * Serves the built web app at `/`: hashed assets with long caching, and index.html for any other
 * GET a browser makes (history-mode routes such as /me), never for API paths.
 */
export async function serveWebApp(app: NestFastifyApplication): Promise<void> {
  const index = join(WEB_ROOT, 'index.html');
  if (!existsSync(index)) {
    new Logger('WebApp').warn(`web app not built (${index} missing): run npm run build`);
    return;
  }
  const html = await readFile(index);
  await app.register(fastifyStatic, {
    root: WEB_ROOT,
    prefix: '/',
    wildcard: false,
    index: false,
    setHeaders: (res, path) => {
      void res.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const fastify = app.getHttpAdapter().getInstance();
  const sendIndex = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  fastify.get('/*', (request, reply) => {
    const path = request.url.split('?')[0];
    const wantsHtml = request.headers.accept?.includes('text/html') ?? false;
    if (!wantsHtml || SERVER_PREFIXES.some((prefix) => path.startsWith(prefix))) return reply.callNotFound();
    return sendIndex(reply);
  });
  fastify.get('/', (_request, reply) => sendIndex(reply));
}
