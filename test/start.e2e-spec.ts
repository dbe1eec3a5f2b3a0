import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_ENTRY, request, startApi } from './support/test-app';
import { createTestDatabase } from './support/test-database';

describe('starting the system', () => {
  it('comes up on a bare machine: embedded PostgreSQL, no Redis, migrated and seeded, and shuts down cleanly', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'zm-embedded-'));
    try {
      const api = await startApi({ EMBEDDED_DB_DIR: dataDir }, '/health/ready', 120_000);
      const ready = await request(api.baseUrl, '/health/ready');
      expect(ready).toMatchObject({
        status: 200,
        body: { status: 'ok', info: { migrations: { mode: 'embedded' } } },
      });
      expect(ready.body).not.toHaveProperty('info.redis');
      expect(await request(api.baseUrl, '/api/organizations?kind=committee')).toMatchObject({ body: { total: 366 } });
      const types = (await request(api.baseUrl, '/api/certificate-types')).body as { items: { code: string }[] };
      expect(types.items).toHaveLength(5);
      expect(await api.stop()).toEqual({ code: null, signal: 'SIGTERM' });
      // The embedded database released its folder: a second start can open it.
      expect(await readdir(dataDir)).not.toContain('.zhengming.lock');

      const again = await startApi({ EMBEDDED_DB_DIR: dataDir }, '/health/ready', 120_000);
      expect(await request(again.baseUrl, '/api/organizations?kind=committee')).toMatchObject({ body: { total: 366 } });
      await again.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);

  it('stops at boot with a message naming each wrong variable', () => {
    const result = spawnSync(process.execPath, [API_ENTRY], {
      env: { PATH: process.env.PATH ?? '', PORT: 'eighty', DATABASE_URL: 'mysql://root:pw@x/y' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).not.toContain('pw@');
  });

  it('reports not ready while Redis is configured but unreachable', async () => {
    const db = await createTestDatabase('redis_down');
    const api = await startApi({ DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const ready = await request(api.baseUrl, '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        code: 'SERVICE_NOT_READY',
        details: { status: 'error', error: { redis: { status: 'down' } }, info: { database: { status: 'up' } } },
      });
      expect((await request(api.baseUrl, '/health')).status).toBe(200);
    } finally {
      await api.stop();
      await db.drop();
    }
  }, 90_000);
});
