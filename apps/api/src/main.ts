import cluster from 'node:cluster';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '@zhengming/config';
import { superviseApiWorkers } from './api-workers';
import { createApiApplication } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.http.workers > 1 && cluster.isPrimary) {
    superviseApiWorkers(config.http.workers, config.log.level);
    return;
  }
  const app = await createApiApplication(config);
  await app.listen(config.http.port, config.http.host);
  app
    .get(Logger)
    .log(
      `正明 API listening on ${config.http.publicBaseUrl} (database: ${config.database.mode}, redis: ${config.redis.url ? 'on' : 'off'})`,
    );
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
