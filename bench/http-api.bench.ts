import { join } from 'node:path';
import { createTestDatabase } from '../test/support/test-database';
import { load, loadFigures, startProcess, stopProcess, type Bench, type BenchFigure, type LoadResult } from './harness';
import { freePort } from '../test/support/test-app';
import { TEST_SECRETS } from '../test/support/test-secrets';

const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const ORGS = '/api/organizations?kind=committee&parent=440118100&pageSize=20';

/**
 * The organizations endpoint (what a resident's committee picker calls) under load, on each HTTP
 * adapter, against a real PostgreSQL; `/health` (no database) is the framework's floor. The load
 * comes from this process, the server is another.
 */
export const httpApiBench: Bench = {
  name: 'http-api',
  async run() {
    const db = await createTestDatabase('bench_http');
    const figures: BenchFigure[] = [];
    try {
      const results: Record<string, LoadResult> = {};
      for (const adapter of ['fastify', 'express']) {
        const port = await freePort();
        const server = await startProcess(
          join(__dirname, 'adapter-server.js'),
          [adapter],
          {
            DATABASE_URL: db.url,
            PORT: String(port),
            LOG_LEVEL: 'silent',
            DATABASE_POOL_SIZE: '10',
            // A server database needs the secrets; these are generated for this run only.
            ...TEST_SECRETS,
          },
          `http://127.0.0.1:${port}/health/ready`,
        );
        try {
          await load(`http://127.0.0.1:${port}${ORGS}`, { connections: CONNECTIONS, durationSeconds: 2 }); // warm-up
          results[`${adapter} /health`] = await load(`http://127.0.0.1:${port}/health`, {
            connections: CONNECTIONS,
            durationSeconds: DURATION,
          });
          results[`${adapter} organizations`] = await load(`http://127.0.0.1:${port}${ORGS}`, {
            connections: CONNECTIONS,
            durationSeconds: DURATION,
          });
        } finally {
          await stopProcess(server);
        }
      }
      figures.push(
        ...loadFigures(
          'http-api',
          results,
          (scenario) => {
            const [adapter, what] = scenario.split(' ');
            return what === 'organizations' ? `${adapter} /health` : 'express /health';
          },
          { connections: CONNECTIONS, durationSeconds: DURATION },
        ),
      );
      const f = results['fastify organizations'];
      const e = results['express organizations'];
      figures.push({
        bench: 'http-api',
        scenario: 'fastify vs express, organizations',
        unit: 'ms',
        median: f.medianMs - e.medianMs,
        p95: f.p95Ms - e.p95Ms,
        baseline: 'express organizations',
        ratio: f.requestsPerSecond / e.requestsPerSecond,
        note: 'median/p95: difference in ms; ratio: throughput',
      });
    } finally {
      await db.drop();
    }
    return figures;
  },
};
