import { request, type RunningApi } from './support/test-app';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
}

describe('API over HTTP (real PostgreSQL and Redis)', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let api: RunningApi;
  const get = (_: unknown, path: string, init?: RequestInit) => request(api.baseUrl, path, init);
  const app = null;

  beforeAll(async () => {
    db = await createTestDatabase('api');
    system = await startSystem({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, HTTP_BODY_LIMIT_BYTES: '4096' });
    api = system.api;
  }, 90_000);
  afterAll(async () => {
    await system?.stop();
    await db?.drop();
  });

  it('is live and ready: database up, migrations applied, Redis up', async () => {
    expect(await get(app, '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await get(app, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, migrations: { status: 'up', mode: 'server' }, redis: { status: 'up' } },
    });
  });

  it('lets a resident find all 366 committees, page by page, and search them', async () => {
    const page = await get(app, '/api/organizations?kind=committee&pageSize=50&page=2');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total: 366, page: 2, pageSize: 50 });
    expect((page.body as { items: unknown[] }).items).toHaveLength(50);

    const towns = await get(app, '/api/organizations?kind=town&pageSize=100');
    expect(towns.body).toMatchObject({ total: 13 });
    const names = (towns.body as { items: { name: string }[] }).items.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['荔城街道', '新塘镇', '仙村镇']));

    const inTown = await get(app, '/api/organizations?parent=440118001&pageSize=100');
    const items = (inTown.body as { items: { code: string; parent: { name: string } }[] }).items;
    expect(items.length).toBeGreaterThan(10);
    expect(items.every((c) => c.code.startsWith('440118001') && c.parent.name === '荔城街道')).toBe(true);

    const search = await get(app, `/api/organizations?q=${encodeURIComponent(items[0].code)}`);
    expect((search.body as { items: { code: string }[] }).items.map((c) => c.code)).toEqual([items[0].code]);

    const one = await get(app, `/api/organizations/${items[0].code}`);
    expect(one).toMatchObject({ status: 200, body: { code: items[0].code, level: 'committee' } });
  });

  it('treats LIKE wildcards in a search as plain text', async () => {
    expect(await get(app, '/api/organizations?q=%25')).toMatchObject({ status: 200, body: { total: 0 } });
  });

  it('lists the five certificate types with their form schema and materials', async () => {
    const answer = await get(app, '/api/certificate-types');
    expect(answer.status).toBe(200);
    const items = (
      answer.body as { items: { code: string; formSchema: { examples: unknown[] }; materials: unknown[] }[] }
    ).items;
    expect(items.map((t) => t.code)).toEqual([
      'business-premises-use',
      'entertainment-venue-deregistration',
      'ev-charger-installation',
      'guardianship',
      'weather',
    ]);
    for (const t of items) {
      expect(t.formSchema.examples.length).toBeGreaterThan(0);
      expect(t.materials.length).toBeGreaterThan(0);
    }
    expect(await get(app, '/api/certificate-types/guardianship')).toMatchObject({
      status: 200,
      body: { code: 'guardianship', name: '监护人证明', version: 1 },
    });
  });

  it('serves the OpenAPI document and its UI, and Prometheus metrics', async () => {
    expect((await get(app, '/api/docs')).status).toBe(200);
    const doc = (await get(app, '/api/docs-json')).body as OpenApiDocument;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/organizations', '/api/certificate-types']));
    const metrics = await get(app, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('http_request_duration_seconds_bucket');
  });

  it('answers a missing organization or type with a coded 404 in Chinese', async () => {
    expect(await get(app, '/api/organizations/440118999999')).toMatchObject({
      status: 404,
      body: { code: 'ORGANIZATION_NOT_FOUND', message: '未找到该组织机构' },
    });
    expect(await get(app, '/api/organizations?parent=440118999')).toMatchObject({
      status: 404,
      body: { code: 'ORGANIZATION_NOT_FOUND' },
    });
    expect(await get(app, '/api/certificate-types/marriage')).toMatchObject({
      status: 404,
      body: { code: 'CERTIFICATE_TYPE_NOT_FOUND' },
    });
  });

  describe('malformed requests get a coded 4xx, never a 500', () => {
    const expectCoded = (answer: { status: number; body: unknown }, status: number, code: string) => {
      expect({ status: answer.status, code: (answer.body as { code?: string } | undefined)?.code }).toEqual({
        status,
        code,
      });
      expect((answer.body as { message: string }).message).toMatch(/[\u4e00-\u9fff]/);
    };

    it('on every route of the OpenAPI document: unknown parameters, bad path values, oversized values', async () => {
      const doc = (await get(app, '/api/docs-json')).body as OpenApiDocument;
      const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => ({ path, method })),
      );
      expect(routes.length).toBeGreaterThanOrEqual(6);
      // Signed in as the district admin (a committee approver on review decisions, a verifier on
      // verifier routes), so that every route gets past authorization and its input validation answers.
      const admin = { authorization: `Bearer ${await system.token('admin')}` };
      const institution = await get(app, '/api/verifier-institutions', {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ name: '测试银行', sector: 'bank' }),
      });
      const key = await get(app, `/api/verifier-institutions/${(institution.body as { id: string }).id}/api-keys`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ label: '测试' }),
      });
      const verifier = { 'x-api-key': (key.body as { key: string }).key };
      // Review decisions on residents' applications belong to a committee's reviewers, not to the
      // district admin (who decides enterprises' seal applications).
      const approver = { authorization: `Bearer ${await system.token('approver-a')}` };
      for (const { path, method } of routes) {
        if (path === '/health/ready') continue;
        const headers = path.startsWith('/api/verifier/')
          ? verifier
          : /^\/api\/applications\/.*\/(accept|supplement-requests|reject|approve)$/.test(path)
            ? approver
            : admin;
        const withParams = path.replace(/\{[^}]+\}/g, 'Bad%20Value%27%3B--');
        if (withParams !== path) {
          const answer = await get(app, withParams, { method: method.toUpperCase(), headers });
          expect({ route: path, status: answer.status < 500 && answer.status >= 400 }).toEqual({
            route: path,
            status: true,
          });
          expect(answer.body).toMatchObject({ code: expect.stringMatching(/^[A-Z_]+$/) });
        }
        const bogusQuery = path.replace(/\{[^}]+\}/g, 'x') + '?bogus=1&page=-3&pageSize=abc&kind[]=x';
        const answer = await get(app, bogusQuery, { method: method.toUpperCase(), headers });
        // /health and the docs take no parameters and ignore a query string; every API and PKI route refuses it.
        if (path.startsWith('/api/') || path.startsWith('/pki/')) {
          expect({ route: path, status: answer.status, code: (answer.body as { code: string }).code }).toEqual({
            route: path,
            status: 400,
            code: 'VALIDATION_FAILED',
          });
        } else {
          expect({ route: path, status: answer.status }).toEqual({ route: path, status: 200 });
        }
      }
    });

    it('unknown routes and methods', async () => {
      expectCoded(await get(app, '/api/nothing-here'), 404, 'ROUTE_NOT_FOUND');
      expectCoded(await get(app, '/api/organizations', { method: 'DELETE' }), 404, 'ROUTE_NOT_FOUND');
    });

    it('query parameters that fail validation name the field', async () => {
      const answer = await get(app, '/api/organizations?kind=county&pageSize=1000&page=0');
      expectCoded(answer, 400, 'VALIDATION_FAILED');
      const fields = (answer.body as { details: { fields: { field: string }[] } }).details.fields.map((f) => f.field);
      expect(fields.sort()).toEqual(['kind', 'page', 'pageSize']);
    });

    it('a repeated parameter, an over-long search and a non-numeric page', async () => {
      expectCoded(await get(app, '/api/organizations?kind=town&kind=committee'), 400, 'VALIDATION_FAILED');
      expectCoded(await get(app, `/api/organizations?q=${'村'.repeat(51)}`), 400, 'VALIDATION_FAILED');
      expectCoded(await get(app, '/api/organizations?page=2abc'), 400, 'VALIDATION_FAILED');
    });

    it('malformed JSON and oversized bodies', async () => {
      const json = { 'content-type': 'application/json' };
      expectCoded(
        await get(app, '/api/organizations', { method: 'POST', headers: json, body: '{"name": ' }),
        400,
        'MALFORMED_JSON',
      );
      expectCoded(
        await get(app, '/api/organizations', {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ blob: 'x'.repeat(10_000) }),
        }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });
  });

  it('tags every answer with a request id, keeping a well-formed one from the caller', async () => {
    const own = await get(app, '/api/certificate-types', { headers: { 'x-request-id': 'bank-trace-000123' } });
    expect(own.headers.get('x-request-id')).toBe('bank-trace-000123');
    const forged = await get(app, '/health', { headers: { 'x-request-id': 'x {"level":60}' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // The log line is written after the answer; on a busy machine it reaches our pipe a moment later.
    const loggedWithId = () =>
      api
        .output()
        .split('\n')
        .some((line) => line.includes('"request completed"') && line.includes('"id":"bank-trace-000123"'));
    for (let waited = 0; waited < 5_000 && !loggedWithId(); waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(loggedWithId()).toBe(true);
  });
});
