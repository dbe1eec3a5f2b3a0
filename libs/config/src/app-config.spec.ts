import { ConfigValidationError, loadConfig } from './app-config';

describe(loadConfig.name, () => {
  it('starts on embedded defaults when nothing is configured', () => {
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
});
