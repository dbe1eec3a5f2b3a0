import { randomUUID } from 'node:crypto';
import { SystemClock } from '@zhengming/clock';
import { OutboxHandlers, OutboxRelay, type OutboxHandler } from './outbox-relay';
import { OutboxService } from './outbox.service';
import type { OutboxMessageEntity } from './outbox-message.entity';
import { openMigratedDataSource, TEST_REDIS_URL } from '../../../test/support/test-database';

/** The relay in the worker's mode: rows claimed from PostgreSQL, worked through BullMQ on Redis. */
describe('outbox relay in queue mode (PostgreSQL and Redis)', () => {
  let db: Awaited<ReturnType<typeof openMigratedDataSource>>;
  let outbox: OutboxService;

  beforeAll(async () => {
    db = await openMigratedDataSource('outbox_relay');
    outbox = new OutboxService(db.dataSource, new SystemClock());
  });
  afterAll(() => db.close());

  async function rows(topic: string): Promise<{ aggregate_id: string; status: string; last_error: string | null }[]> {
    return (await db.dataSource.query(
      `SELECT aggregate_id, status, last_error FROM outbox WHERE topic = $1 ORDER BY aggregate_id`,
      [topic],
    )) as { aggregate_id: string; status: string; last_error: string | null }[];
  }

  async function relayed(handler: OutboxHandler, aggregates: string[]): Promise<void> {
    await db.dataSource.transaction(async (m) => {
      for (const aggregateId of aggregates) await outbox.add(m, { topic: handler.topic, aggregateId });
    });
    const handlers = new OutboxHandlers();
    handlers.register(handler);
    const relay = new OutboxRelay(
      outbox,
      handlers,
      { mode: 'queue', pollIntervalMs: 50, leaseMs: 60_000, batchSize: 50, concurrency: 2 },
      { url: TEST_REDIS_URL, keyPrefix: `test-relay-${randomUUID()}`, outboxLeaseMs: 60_000 },
    );
    relay.onApplicationBootstrap();
    try {
      const deadline = Date.now() + 20_000;
      while ((await rows(handler.topic)).some((row) => row.status === 'pending' && row.last_error === null)) {
        if (Date.now() > deadline) throw new Error(`rows still waiting: ${JSON.stringify(await rows(handler.topic))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // …and none left in flight.
      while ((await rows(handler.topic)).some((row) => row.status === 'in_flight')) {
        if (Date.now() > deadline)
          throw new Error(`rows still in flight: ${JSON.stringify(await rows(handler.topic))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await relay.onApplicationShutdown();
    }
  }

  it('hands a batching handler its rows in groups and records each failure on its own row', async () => {
    const topic = `test.group.${randomUUID()}`;
    const aggregates = Array.from({ length: 5 }, () => randomUUID());
    const refused = aggregates[3];
    const groups: string[][] = [];
    const handler: OutboxHandler = {
      topic,
      batchSize: 3,
      retry: { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      handle: () => Promise.reject(new Error('rows of a batching handler go to handleMany')),
      handleMany: (messages: OutboxMessageEntity[]) => {
        groups.push(messages.map((message) => message.aggregateId));
        return Promise.resolve(
          messages.map((message) =>
            message.aggregateId === refused ? new Error('refused by the other side') : undefined,
          ),
        );
      },
    };
    await relayed(handler, aggregates);

    expect(groups.map((group) => group.length).sort()).toEqual([2, 3]);
    expect(groups.flat().sort()).toEqual([...aggregates].sort());
    expect(await rows(topic)).toEqual(
      [...aggregates].sort().map((aggregateId) => ({
        aggregate_id: aggregateId,
        status: aggregateId === refused ? 'pending' : 'done',
        last_error: aggregateId === refused ? 'refused by the other side' : null,
      })),
    );
  });

  it('works rows one by one for a handler without handleMany, from the row the job carries', async () => {
    const topic = `test.single.${randomUUID()}`;
    const aggregates = Array.from({ length: 3 }, () => randomUUID());
    const seen: { aggregateId: string; attempts: number; payload: unknown }[] = [];
    const handler: OutboxHandler = {
      topic,
      handle: (message) => {
        seen.push({ aggregateId: message.aggregateId, attempts: message.attempts, payload: message.payload });
        return Promise.resolve();
      },
    };
    await relayed(handler, aggregates);

    expect(seen.map((s) => s.aggregateId).sort()).toEqual([...aggregates].sort());
    expect(seen.every((s) => s.attempts === 1 && JSON.stringify(s.payload) === '{}')).toBe(true);
    expect((await rows(topic)).map((row) => row.status)).toEqual(['done', 'done', 'done']);
  });
});
