import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_ENTRY, freePort, request, startApi } from './support/test-app';
import { createTestDatabase } from './support/test-database';
import { emptyNssDatabase, pdfsig } from './support/pdf-tools';

const ROOT = join(__dirname, '..');

describe('starting the system', () => {
  it('npm start brings up the identity platform, the TSA and the API together, `token` signs a seeded user in, and `demo:issue` gets a signed, time-stamped certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zm-stack-'));
    const [port, idpPort, gridPort, tsaPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // Exactly what `npm start` runs after building; only the ports and folders are the test's own.
    const stack = spawn(process.execPath, [join(ROOT, 'dist/apps/stack/src/main.js')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        IDP_SIM_PORT: String(idpPort),
        POWER_GRID_SIM_PORT: String(gridPort),
        TSA_SIM_PORT: String(tsaPort),
        EMBEDDED_DB_DIR: join(dir, 'pg'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    stack.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    stack.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => stack.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 120_000;
      while (
        !(await request(`http://localhost:${port}`, '/health/ready').then(
          (r) => r.status === 200,
          () => false,
        ))
      ) {
        if (stack.exitCode !== null || Date.now() > deadline) throw new Error(`the system did not come up:\n${output}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      // The development secrets were generated into the data folder, not taken from the repository.
      expect(await readdir(join(dir, 'data'))).toContain('dev-secrets.json');
      const token = await promisify(execFile)(process.execPath, [join(ROOT, 'dist/tools/token.js'), 'approver-a'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', ZHENGMING_API_URL: `http://localhost:${port}` },
      });
      expect(token.stdout).toMatch(/^zat_[A-Za-z0-9_-]{43}\n$/);
      const me = await request(`http://localhost:${port}`, '/api/me', {
        headers: { authorization: `Bearer ${token.stdout.trim()}` },
      });
      expect(me).toMatchObject({ status: 200, body: { roles: [{ role: 'approver', roleName: '审批人' }] } });
      const unknown = await promisify(execFile)(process.execPath, [join(ROOT, 'dist/tools/token.js'), 'nobody'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', ZHENGMING_API_URL: `http://localhost:${port}` },
      }).catch((error: { code: number; stderr: string }) => error);
      expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('用户名或密码错误') });

      // The operator's smoke test against the same system: the embedded first start made the district
      // PKI and the seals, and without Redis the API issues in-process.
      const pdf = join(dir, 'weather.pdf');
      const demo = await promisify(execFile)(
        process.execPath,
        [
          join(ROOT, 'dist/tools/demo-issue.js'),
          '--type',
          'weather',
          '--out',
          pdf,
          '--base-url',
          `http://localhost:${port}`,
        ],
        { cwd: dir, env: { PATH: process.env.PATH ?? '' } },
      );
      expect(demo.stdout).toMatch(
        /^application [0-9a-f-]{36}\ncertificate 440118001001-WT-\d{4}-000001-[0-9A-Z]{2}\n$/,
      );
      expect(demo.stderr).toContain('出证中');
      const nss = emptyNssDatabase();
      try {
        const signatures = await pdfsig(pdf, nss.dir);
        expect(signatures.map((s) => [s.signer, s.validation])).toEqual([
          ['荔城街道城南社区居民委员会电子印章', 'Signature is Valid.'],
          ['刘建国', 'Signature is Valid.'],
        ]);
      } finally {
        nss.dispose();
      }
      // Both signatures carry a time-stamp of the tsa-sim the stack started, chaining to the district root.
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(await readFile(pdf))], { type: 'application/pdf' }), 'weather.pdf');
      const checked = await request(`http://localhost:${port}`, '/api/verifications/pdf', {
        method: 'POST',
        body: form,
      });
      expect(checked.body).toMatchObject({
        valid: true,
        signatures: [{ timestamp: { valid: true } }, { timestamp: { valid: true } }],
      });
      const wrongType = await promisify(execFile)(
        process.execPath,
        [
          join(ROOT, 'dist/tools/demo-issue.js'),
          '--type',
          'no-such-type',
          '--out',
          pdf,
          '--base-url',
          `http://localhost:${port}`,
        ],
        { cwd: dir, env: { PATH: process.env.PATH ?? '' } },
      ).catch((error: { code: number; stderr: string }) => error);
      expect(wrongType).toMatchObject({ code: 1, stderr: expect.stringContaining('create the application: HTTP') });
    } finally {
      stack.kill('SIGTERM');
      expect(await exited).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);

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
