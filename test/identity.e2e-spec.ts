import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { loginThroughPlatform } from '../tools/oidc-login';
import { request, type Answer } from './support/test-app';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { TEST_SECRETS } from './support/test-secrets';
import { startSystem, type RunningSystem } from './support/test-system';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');

interface SeededPerson {
  username: string;
  name: string;
  idNumber: string;
  phone: string;
}
const PEOPLE = (
  JSON.parse(readFileSync(join(ROOT, 'apps/idp-sim/src/people.synthetic.json'), 'utf8')) as { people: SeededPerson[] }
).people;

/**
 * A client address of its own for each use, so one test's failure counter never starts where another's
 * stopped. (Random ones out of 250 collided now and then: a guess counted against the wrong test gave
 * 429 before the fifth. Counters of other runs are under another REDIS_KEY_PREFIX.)
 */
let clients = 0;
const freshAddress = () => `198.51.100.${++clients}`;

describe('identity and access over HTTP', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  const api = (path: string, init?: RequestInit) => request(system.api.baseUrl, path, init);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const code = (answer: Answer) => ({ status: answer.status, code: (answer.body as { code?: string })?.code });

  beforeAll(async () => {
    db = await createTestDatabase('identity');
    system = await startSystem({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      TRUST_PROXY: 'true',
      AUTH_MAX_FAILURES: '5',
    });
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await db?.drop();
  });

  describe('sign-in through the identity platform', () => {
    it('signs every seeded person in and shows them masked, with their roles and organization', async () => {
      const expectations: Record<string, { role?: string; organization?: string }> = {
        'resident-a': {},
        'resident-b': {},
        'clerk-a': { role: 'clerk', organization: '城南社区居民委员会' },
        'approver-a': { role: 'approver', organization: '城南社区居民委员会' },
        'clerk-b': { role: 'clerk', organization: '新塘社区居民委员会' },
        'approver-b': { role: 'approver', organization: '新塘社区居民委员会' },
        'supervisor-a': { role: 'supervisor', organization: '荔城街道' },
        admin: { role: 'admin', organization: '增城区' },
      };
      for (const [username, expected] of Object.entries(expectations)) {
        const person = PEOPLE.find((p) => p.username === username)!;
        const me = await api('/api/me', { headers: bearer(await system.token(username)) });
        expect(me.status).toBe(200);
        const body = me.body as {
          name: string;
          idNumber: string;
          phone: string;
          roles: { role: string; organization: { name: string } }[];
        };
        expect(body.idNumber).toBe(`${person.idNumber.slice(0, 4)}**********${person.idNumber.slice(-4)}`);
        expect(body.phone).toBe(`${person.phone.slice(0, 3)}****${person.phone.slice(-4)}`);
        expect(body.name.startsWith(person.name[0])).toBe(true);
        expect(body.name).not.toBe(person.name);
        expect(body.roles.map((r) => [r.role, r.organization.name])).toEqual(
          expected.role ? [[expected.role, expected.organization]] : [],
        );
      }
    });

    it('a wrong password at the platform never reaches the API', async () => {
      await expect(
        loginThroughPlatform({ apiBaseUrl: system.api.baseUrl, username: 'resident-a', password: 'not-the-password' }),
      ).rejects.toThrow(/401.*用户名或密码错误/);
    });

    it('refuses a callback whose state was not issued to this browser, and a replayed one', async () => {
      const address = { 'x-forwarded-for': freshAddress() };
      const forged = await api('/api/auth/callback?code=abc&state=forged', { redirect: 'manual', headers: address });
      expect(code(forged)).toEqual({ status: 400, code: 'AUTH_LOGIN_FAILED' });
      const browser = await api('/api/auth/callback?code=abc&state=forged', {
        redirect: 'manual',
        headers: { ...address, accept: 'text/html' },
      });
      expect(browser.status).toBe(302);
      expect(browser.headers.get('location')).toBe('/login?error=AUTH_LOGIN_FAILED');
    });

    it('only ever returns to a path of this site after sign-in', async () => {
      const start = await api('/api/auth/login?returnTo=//evil.example/steal', { redirect: 'manual' });
      expect(start.status).toBe(302);
      const result = await loginThroughPlatform({
        apiBaseUrl: system.api.baseUrl,
        username: 'resident-b',
        password: TEST_SECRETS.IDP_SIM_PASSWORD,
        returnTo: 'https://evil.example/',
      });
      expect(result.landedOn).toBe('/me');
    });
  });

  describe('sessions', () => {
    it('rotates refresh tokens and revokes the session when an old one is replayed', async () => {
      const first = await loginThroughPlatform({
        apiBaseUrl: system.api.baseUrl,
        username: 'resident-a',
        password: TEST_SECRETS.IDP_SIM_PASSWORD,
      });
      const refreshed = await api('/api/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: first.refreshToken }),
      });
      expect(refreshed.status).toBe(200);
      const second = refreshed.body as { accessToken: string; refreshToken: string };
      expect(second.accessToken).not.toBe(first.accessToken);
      const address = { 'x-forwarded-for': freshAddress() };
      expect(code(await api('/api/me', { headers: { ...address, ...bearer(first.accessToken) } }))).toEqual({
        status: 401,
        code: 'AUTH_TOKEN_INVALID',
      });
      expect((await api('/api/me', { headers: bearer(second.accessToken) })).status).toBe(200);

      const replay = await api('/api/auth/refresh', {
        method: 'POST',
        headers: { ...address, 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: first.refreshToken }),
      });
      expect(code(replay)).toEqual({ status: 401, code: 'AUTH_TOKEN_INVALID' });
      // Whoever held the copy and whoever held the original are both signed out.
      expect((await api('/api/me', { headers: { ...address, ...bearer(second.accessToken) } })).status).toBe(401);
    });

    it('answers an expired access token with its own code', async () => {
      const token = await system.freshToken('resident-b');
      const client = new Client({ connectionString: db.url });
      await client.connect();
      await client.query(
        `UPDATE sessions SET access_expires_at = now() - interval '1 second'
          WHERE access_token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
        [token],
      );
      await client.end();
      const answer = await api('/api/me', { headers: bearer(token) });
      expect(code(answer)).toEqual({ status: 401, code: 'AUTH_TOKEN_EXPIRED' });
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('takes the session cookie, and refuses a cookie-authenticated write without the CSRF header', async () => {
      const token = await system.freshToken('clerk-a');
      const cookie = { cookie: `zm_at=${token}` };
      expect((await api('/api/me', { headers: cookie })).status).toBe(200);
      expect(code(await api('/api/auth/logout', { method: 'POST', headers: cookie }))).toEqual({
        status: 403,
        code: 'AUTH_CSRF_REJECTED',
      });
      const out = await api('/api/auth/logout', {
        method: 'POST',
        headers: { ...cookie, 'x-requested-with': 'zhengming-web' },
      });
      expect(out.status).toBe(204);
      expect(out.headers.getSetCookie().join(';')).toMatch(/zm_at=;/);
      expect(code(await api('/api/me', { headers: { ...cookie, 'x-forwarded-for': freshAddress() } }))).toEqual({
        status: 401,
        code: 'AUTH_TOKEN_INVALID',
      });
    });

    it('answers bad credentials with clear 401s', async () => {
      const address = { 'x-forwarded-for': freshAddress() };
      expect(code(await api('/api/me', { headers: address }))).toEqual({ status: 401, code: 'AUTH_REQUIRED' });
      expect(code(await api('/api/me', { headers: { ...address, ...bearer('zat_forged') } }))).toEqual({
        status: 401,
        code: 'AUTH_TOKEN_INVALID',
      });
      expect(code(await api('/api/me', { headers: { ...address, authorization: 'Basic YWRtaW46YWRtaW4=' } }))).toEqual({
        status: 401,
        code: 'AUTH_TOKEN_INVALID',
      });
    });

    it('throttles an address that keeps presenting bad tokens, even once it presents a good one', async () => {
      const address = { 'x-forwarded-for': freshAddress() };
      for (let attempt = 0; attempt < 5; attempt++) {
        expect((await api('/api/me', { headers: { ...address, ...bearer(`zat_guess${attempt}`) } })).status).toBe(401);
      }
      const blocked = await api('/api/me', { headers: { ...address, ...bearer(await system.token('resident-a')) } });
      expect(code(blocked)).toEqual({ status: 429, code: 'AUTH_RATE_LIMITED' });
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      const elsewhere = { 'x-forwarded-for': freshAddress() };
      expect(
        (await api('/api/me', { headers: { ...elsewhere, ...bearer(await system.token('resident-a')) } })).status,
      ).toBe(200);
    });
  });

  describe('verifier institutions and API keys', () => {
    let admin: Record<string, string>;
    let institutionId: string;
    beforeAll(async () => {
      admin = { ...bearer(await system.token('admin')), 'content-type': 'application/json' };
      const created = await api('/api/verifier-institutions', {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name: '增城农商银行荔城支行', sector: 'bank' }),
      });
      expect(created.status).toBe(201);
      institutionId = (created.body as { id: string }).id;
    });

    it('shows a key once, stores only its hash, attributes requests to the institution and revokes it', async () => {
      const created = await api(`/api/verifier-institutions/${institutionId}/api-keys`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ label: '柜台', rateLimitPerMinute: 100 }),
      });
      expect(created.status).toBe(201);
      const { key, id } = created.body as { key: string; id: string };
      expect(key).toMatch(/^zmk_[a-z2-7]{12}_/);
      const detail = await api(`/api/verifier-institutions/${institutionId}`, { headers: admin });
      expect(detail.text).not.toContain(key);
      expect(detail.text).not.toContain(key.slice('zmk_'.length + 13));

      const self = await api('/api/verifier/me', { headers: { 'x-api-key': key } });
      expect(self).toMatchObject({
        status: 200,
        body: { institutionId, name: '增城农商银行荔城支行', sector: 'bank' },
      });

      const revoked = await api(`/api/verifier-institutions/${institutionId}/api-keys/${id}`, {
        method: 'DELETE',
        headers: bearer(await system.token('admin')),
      });
      expect(revoked.status).toBe(204);
      const address = { 'x-forwarded-for': freshAddress() };
      expect(code(await api('/api/verifier/me', { headers: { ...address, 'x-api-key': key } }))).toEqual({
        status: 401,
        code: 'API_KEY_REVOKED',
      });
      const forged = `${key.slice(0, -4)}AAAA`;
      expect(code(await api('/api/verifier/me', { headers: { ...address, 'x-api-key': forged } }))).toEqual({
        status: 401,
        code: 'API_KEY_INVALID',
      });
    });

    it('limits each key to its rate per minute', async () => {
      const created = await api(`/api/verifier-institutions/${institutionId}/api-keys`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ label: '限速', rateLimitPerMinute: 3 }),
      });
      const { key } = created.body as { key: string };
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await api('/api/verifier/me', { headers: { 'x-api-key': key } })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await api('/api/verifier/me', { headers: { 'x-api-key': key } });
      expect(code(limited)).toEqual({ status: 429, code: 'API_KEY_RATE_LIMITED' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('validates what an admin registers', async () => {
      const bad = await api('/api/verifier-institutions', {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name: '某学校', sector: 'school', creditCode: '91440101MA5CXXXX0X' }),
      });
      expect(code(bad)).toEqual({ status: 400, code: 'CREDIT_CODE_INVALID' });
      const unknownSector = await api('/api/verifier-institutions', {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name: '某学校', sector: 'casino' }),
      });
      expect(code(unknownSector)).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    });
  });

  describe('staff roles', () => {
    it('grants a role by ID number, checks the number and the level, and revokes it', async () => {
      const admin = { ...bearer(await system.token('admin')), 'content-type': 'application/json' };
      const grant = (body: object) =>
        api('/api/staff-roles', { method: 'POST', headers: admin, body: JSON.stringify(body) });
      const badCheckDigit = await grant({
        name: '王五',
        idNumber: '440118199101010010',
        role: 'clerk',
        organizationCode: '440118001002',
      });
      expect(badCheckDigit.body).toMatchObject({ code: 'ID_NUMBER_INVALID', details: { problem: 'checkDigit' } });
      expect(badCheckDigit.status).toBe(400);
      expect(
        code(
          await grant({ name: '王五', idNumber: '11010519491231002X', role: 'clerk', organizationCode: '440118001' }),
        ),
      ).toEqual({ status: 422, code: 'STAFF_ROLE_LEVEL_MISMATCH' });
      const ok = await grant({
        name: '王五',
        idNumber: '11010519491231002x',
        role: 'clerk',
        organizationCode: '440118001002',
      });
      expect(ok.status).toBe(201);
      expect(
        code(
          await grant({
            name: '王五',
            idNumber: '11010519491231002X',
            role: 'clerk',
            organizationCode: '440118001002',
          }),
        ),
      ).toEqual({ status: 409, code: 'STAFF_ROLE_EXISTS' });

      const staff = await api('/api/organizations/440118001002/staff', {
        headers: bearer(await system.token('supervisor-a')),
      });
      expect(staff.body).toEqual([
        expect.objectContaining({ role: 'clerk', person: expect.objectContaining({ idNumber: '1101**********002X' }) }),
      ]);

      const grantId = (ok.body as { grantId: string }).grantId;
      expect(
        (await api(`/api/staff-roles/${grantId}`, { method: 'DELETE', headers: bearer(await system.token('admin')) }))
          .status,
      ).toBe(204);
      expect(
        (await api('/api/organizations/440118001002/staff', { headers: bearer(await system.token('supervisor-a')) }))
          .body,
      ).toEqual([]);

      const trail = await api(`/api/audit-events?objectType=staff_role&objectId=${grantId}`, { headers: admin });
      expect((trail.body as { items: { action: string }[] }).items.map((e) => e.action)).toEqual([
        'staff.revoke',
        'staff.grant',
      ]);
    });
  });

  describe('personal data at rest, in logs and in the audit trail', () => {
    it('keeps every seeded ID and phone number out of a full database dump and out of every log line', async () => {
      for (const person of PEOPLE) await system.token(person.username);
      const { stdout: dump } = await run('pg_dump', ['--data-only', '--no-owner', db.url], {
        maxBuffer: 256 * 1024 * 1024,
      });
      expect(dump).toContain('COPY public.people');
      const logs = system.api.output() + system.idp.output();
      for (const person of PEOPLE) {
        for (const secret of [person.idNumber, person.phone, person.idNumber.toLowerCase()]) {
          expect({ secret, inDump: dump.includes(secret), inLogs: logs.includes(secret) }).toEqual({
            secret,
            inDump: false,
            inLogs: false,
          });
        }
      }
    });
  });

  describe('audit trail', () => {
    const verify = () =>
      run(process.execPath, [join(ROOT, 'dist/db/cli/audit-verify.js')], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, ...TEST_SECRETS },
      }).then(
        (result) => ({ code: 0, stdout: result.stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );

    it('records sign-ins and refusals, and audit:verify finds the chain intact', async () => {
      const admin = bearer(await system.token('admin'));
      const logins = await api('/api/audit-events?action=auth.login&limit=500', { headers: admin });
      expect((logins.body as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(8);
      const result = await verify();
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/audit log intact: \d+ events verified/);
    });

    it('audit:verify reports the first broken link after one row is tampered with', async () => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ seq: string }>(
        `SELECT seq FROM audit_events WHERE action = 'auth.login' ORDER BY seq LIMIT 1 OFFSET 2`,
      );
      const seq = rows[0].seq;
      await expect(client.query(`UPDATE audit_events SET outcome = 'failure' WHERE seq = $1`, [seq])).rejects.toThrow(
        /append-only/,
      );
      await client.query('BEGIN');
      await client.query(`SET LOCAL session_replication_role = replica`);
      await client.query(`UPDATE audit_events SET outcome = 'failure' WHERE seq = $1`, [seq]);
      await client.query('COMMIT');
      await client.end();
      const result = await verify();
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`audit log BROKEN at seq ${seq} (hash-mismatch)`);
    });
  });
});
