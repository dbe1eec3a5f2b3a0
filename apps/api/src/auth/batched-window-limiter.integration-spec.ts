import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '../../../../test/support/test-database';
import { BatchedWindowLimiter } from './batched-window-limiter';

describe('BatchedWindowLimiter (real Redis)', () => {
  const clients: Redis[] = [];
  const limiters: BatchedWindowLimiter[] = [];
  const prefix = `test-batched-${randomUUID()}`;

  // Two API processes: each its own connection and its own counts, one shared prefix. Flushes are driven
  // by the test, so every step is deterministic.
  function apiProcess(flushMs = 60_000): BatchedWindowLimiter {
    const client = new Redis(TEST_REDIS_URL, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    clients.push(client);
    const limiter = new BatchedWindowLimiter(client, prefix, 60_000, flushMs);
    limiters.push(limiter);
    return limiter;
  }
  const allowedOf = (limiter: BatchedWindowLimiter, key: string, limit: number, times: number) =>
    Array.from({ length: times }, () => limiter.consume(key, limit)).filter((d) => d.allowed).length;

  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    const admin = new Redis(TEST_REDIS_URL);
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length) await admin.del(...keys);
    await Promise.all([admin, ...clients].map((c) => (c.status === 'ready' ? c.quit() : c.disconnect())));
  });

  it('lets exactly the limit through in one process and says how long until the window ends', async () => {
    const api = apiProcess();
    await clients.at(-1)!.connect();
    expect(allowedOf(api, 'key-a', 3, 3)).toBe(3);
    const refused = api.consume('key-a', 3);
    expect(refused.allowed).toBe(false);
    expect(refused.msBeforeNext).toBeGreaterThan(59_000);
    expect(refused.msBeforeNext).toBeLessThanOrEqual(60_000);

    await api.flush();
    const shared = new Redis(TEST_REDIS_URL);
    clients.push(shared);
    expect(await shared.get(`${prefix}:key-a`)).toBe('3');
    const ttl = await shared.pttl(`${prefix}:key-a`);
    expect(ttl).toBeGreaterThan(58_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('shares the count between processes: each refuses once a flush has told it the others’ count', async () => {
    const one = apiProcess();
    const two = apiProcess();
    await Promise.all(clients.slice(-2).map((c) => c.connect()));
    expect(allowedOf(one, 'key-b', 100, 60)).toBe(60);
    await one.flush();
    // Two has not heard of one's 60 yet: this is the overshoot the design allows, one flush interval's worth.
    expect(allowedOf(two, 'key-b', 100, 60)).toBe(60);
    await two.flush();
    expect(two.consume('key-b', 100).allowed).toBe(false);
    // One learns the total with its next flush, after at most one more interval's requests.
    expect(one.consume('key-b', 100).allowed).toBe(true);
    await one.flush();
    expect(one.consume('key-b', 100).allowed).toBe(false);

    const shared = new Redis(TEST_REDIS_URL);
    clients.push(shared);
    expect(await shared.get(`${prefix}:key-b`)).toBe('121');
  });

  it('flushes by itself every interval', async () => {
    const one = apiProcess(20);
    const two = apiProcess(20);
    await Promise.all(clients.slice(-2).map((c) => c.connect()));
    expect(allowedOf(one, 'key-c', 50, 50)).toBe(50);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(two.consume('key-c', 50).allowed).toBe(true); // two has sent nothing yet, so it has heard nothing
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(two.consume('key-c', 50).allowed).toBe(false);
  });

  it('goes on counting alone while Redis is unreachable', async () => {
    const alone = apiProcess();
    clients.at(-1)!.disconnect(); // as while Redis is away: with no offline queue every command fails at once
    expect(allowedOf(alone, 'key-d', 5, 4)).toBe(4);
    await alone.flush(); // fails: the counts stay this process's own
    expect(allowedOf(alone, 'key-d', 5, 3)).toBe(1);
  });
});
