import { loadConfig, ConfigValidationError } from '@zhengming/config';
import { createApiApplication } from './bootstrap';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const app = await createApiApplication(config);
  await app.listen(config.http.port, config.http.host);
  app
    .get(await import('nestjs-pino').then((m) => m.Logger))
    .log(
      `正明 API listening on ${config.http.publicBaseUrl} (database: ${config.database.mode}, redis: ${config.redis.url ? 'on' : 'off'})`,
    );
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
