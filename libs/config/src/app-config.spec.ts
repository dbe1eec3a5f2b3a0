import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, loadConfig as loadWith } from './app-config';
import { withDevelopmentSecrets } from './development-secrets';

const secrets = {
  PII_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  PII_HASH_KEY: randomBytes(32).toString('base64'),
  OIDC_CLIENT_SECRET: 'a-client-secret-of-some-length',
  KEY_ENCRYPTION_KEYS: `kek1:${randomBytes(32).toString('base64')}`,
  POWER_GRID_HMAC_SECRET: randomBytes(24).toString('base64url'),
};
const loadConfig = (env: Record<string, string | undefined>) => loadWith({ ...secrets, ...env });

describe(loadWith.name, () => {
  it('starts on embedded defaults when nothing but the secrets is configured', () => {
    const sut = loadConfig({});
    expect(sut.http.port).toBe(3000);
    expect(sut.http.publicBaseUrl).toBe('http://localhost:3000');
    expect(sut.database).toEqual({
      mode: 'embedded',
      dataDir: './data/pglite',
      migrateOnStart: true,
      seedOnStart: true,
    });
    expect(sut.redis.url).toBeUndefined();
  });

  it('uses the PostgreSQL server and Redis named in the environment', () => {
    const sut = loadConfig({
      DATABASE_URL: 'postgres://app@db:5432/zhengming',
      REDIS_URL: 'redis://cache:6379',
      PORT: '8080',
    });
    expect(sut.database).toMatchObject({ mode: 'server', url: 'postgres://app@db:5432/zhengming', poolSize: 10 });
    expect(sut.redis.url).toBe('redis://cache:6379');
    expect(sut.http.publicBaseUrl).toBe('http://localhost:8080');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).database.mode).toBe('embedded');
  });

  it('stops with a message naming every wrong variable', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://cache', DATABASE_MIGRATE_ON_START: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT:/);
    expect(message).toMatch(/REDIS_URL:/);
    expect(message).toMatch(/DATABASE_MIGRATE_ON_START:/);
    expect((error as ConfigValidationError).problems.map((p) => p.variable).sort()).toEqual([
      'DATABASE_MIGRATE_ON_START',
      'PORT',
      'REDIS_URL',
    ]);
  });

  it('never repeats a connection URL, which may carry a password, in its message', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:s3cret@db/x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:s3cret@db/x' })).not.toThrow(/s3cret/);
  });

  it('refuses a port outside 1..65535', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
  });

  it('requires the secrets and names the missing ones', () => {
    expect(() => loadWith({})).toThrow(/PII_ENCRYPTION_KEYS[\s\S]*PII_HASH_KEY[\s\S]*OIDC_CLIENT_SECRET/);
  });

  it('reads a rotated keyring and encrypts under the first key unless told otherwise', () => {
    const k2 = randomBytes(32).toString('base64');
    const env = { PII_ENCRYPTION_KEYS: `new:${k2},${secrets.PII_ENCRYPTION_KEYS}` };
    expect(loadConfig(env).pii.activeKeyId).toBe('new');
    expect([...loadConfig(env).pii.encryptionKeys.keys()]).toEqual(['new', 'k1']);
    expect(loadConfig({ ...env, PII_ACTIVE_KEY_ID: 'k1' }).pii.activeKeyId).toBe('k1');
    expect(() => loadConfig({ ...env, PII_ACTIVE_KEY_ID: 'gone' })).toThrow(/PII_ACTIVE_KEY_ID/);
    expect(() => loadConfig({ PII_ENCRYPTION_KEYS: 'k1:dG9vLXNob3J0' })).toThrow(/PII_ENCRYPTION_KEYS/);
  });

  it('keeps signing keys under a key-encryption key by default and in an HSM when told so', () => {
    expect(loadConfig({}).signing).toMatchObject({
      keyStore: { kind: 'software', activeKeyId: 'kek1' },
      algorithm: 'ec-p256',
    });
    expect(() => loadConfig({ KEY_ENCRYPTION_KEYS: undefined })).toThrow(/KEY_ENCRYPTION_KEYS/);
    expect(() => loadConfig({ KEY_STORE: 'pkcs11' })).toThrow(/PKCS11_TOKEN_LABEL[\s\S]*PKCS11_PIN/);
    const hsm = loadConfig({ KEY_STORE: 'pkcs11', PKCS11_TOKEN_LABEL: 'zhengming', PKCS11_PIN: '123456' });
    expect(hsm.signing.keyStore).toEqual({
      kind: 'pkcs11',
      library: '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: 'zhengming',
      pin: '123456',
    });
    expect(() => loadConfig({ SIGNING_KEY_ALGORITHM: 'dsa' })).toThrow(/SIGNING_KEY_ALGORITHM/);
  });

  it('time-stamps through the stand-in by default, through the TSA named, or not at all when off', () => {
    expect(loadConfig({}).timestamp).toMatchObject({ url: 'http://127.0.0.1:3003/', timeoutMs: 10_000 });
    expect(loadConfig({ TSA_SIM_PORT: '4003' }).timestamp.url).toBe('http://127.0.0.1:4003/');
    expect(loadConfig({ TSA_URL: 'https://tsa.example.gov.cn/tsp' }).timestamp.url).toBe(
      'https://tsa.example.gov.cn/tsp',
    );
    expect(loadConfig({ TSA_URL: 'off' }).timestamp.url).toBeNull();
    expect(() => loadConfig({ TSA_URL: 'ftp://tsa.example.gov.cn/' })).toThrow(/TSA_URL/);
    expect(loadConfig({ CERTIFICATE_ISSUE_RETRY_BASE_MS: '100' }).issuing.retry).toEqual({
      maxAttempts: 30,
      baseDelayMs: 100,
      maxDelayMs: 600_000,
    });
  });

  it('runs one API process unless told more, and more only with a shared PostgreSQL server and Redis', () => {
    const shared = { DATABASE_URL: 'postgres://app@db:5432/zhengming', REDIS_URL: 'redis://cache:6379' };
    expect(loadConfig({}).http.workers).toBe(1);
    expect(loadConfig({ ...shared, API_WORKERS: '4' }).http.workers).toBe(4);
    expect(loadConfig({ ...shared, API_WORKERS: 'auto' }).http.workers).toBeGreaterThanOrEqual(1);
    expect(() => loadConfig({ ...shared, API_WORKERS: '0' })).toThrow(/API_WORKERS/);
    expect(() => loadConfig({ ...shared, API_WORKERS: 'many' })).toThrow(/API_WORKERS/);
    expect(() => loadConfig({ API_WORKERS: '2' })).toThrow(/API_WORKERS: .*DATABASE_URL and REDIS_URL/);
    expect(() => loadConfig({ DATABASE_URL: shared.DATABASE_URL, API_WORKERS: '2' })).toThrow(/API_WORKERS/);
  });

  it('derives the OIDC callback from the public address', () => {
    const sut = loadConfig({ PUBLIC_BASE_URL: 'https://zm.example.gov.cn/' });
    expect(sut.auth.oidc.redirectUri).toBe('https://zm.example.gov.cn/api/auth/callback');
    expect(sut.auth.secureCookies).toBe(true);
    expect(loadConfig({}).auth.secureCookies).toBe(false);
  });
});

describe(withDevelopmentSecrets.name, () => {
  it('generates the secrets once into a private file in embedded mode and reuses them', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'zm-secrets-')), 'dev-secrets.json');
    const first = withDevelopmentSecrets({ DEV_SECRETS_FILE: file });
    const second = withDevelopmentSecrets({ DEV_SECRETS_FILE: file });
    expect(second).toEqual(first);
    expect(loadWith(first).pii.encryptionKeys.size).toBe(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).PII_HASH_KEY).toBe(first.PII_HASH_KEY);
  });

  it('keeps secrets given in the environment and generates nothing with a server database', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'zm-secrets-')), 'dev-secrets.json');
    expect(withDevelopmentSecrets({ DEV_SECRETS_FILE: file, ...secrets }).PII_HASH_KEY).toBe(secrets.PII_HASH_KEY);
    const server = { DATABASE_URL: 'postgres://db/x', DEV_SECRETS_FILE: file };
    expect(withDevelopmentSecrets(server)).toEqual(server);
    expect(() => loadWith(withDevelopmentSecrets(server))).toThrow(/PII_HASH_KEY/);
  });
});
