import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@zhengming/config';
import { createApiApplication } from '../../apps/api/src/bootstrap';

/** Boots the real API (the same factory as main.ts) on the given environment, ready for inject(). */
export async function bootApi(env: Record<string, string>): Promise<NestFastifyApplication> {
  const app = await createApiApplication(loadConfig({ LOG_LEVEL: 'silent', ...env }));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

export async function get(app: NestFastifyApplication, url: string) {
  const response = await app.inject({ method: 'GET', url });
  return { status: response.statusCode, body: safeJson(response.body), headers: response.headers, text: response.body };
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
