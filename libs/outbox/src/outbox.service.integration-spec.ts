import { randomUUID } from 'node:crypto';
import { SystemClock } from '@zhengming/clock';
import { OutboxService, PermanentFailure, type RetryPolicy } from './outbox.service';
import { openMigratedDataSource } from '../../../test/support/test-database';

class TsaAway extends Error {}

describe('outbox failures on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof openMigratedDataSource>>;
  let outbox: OutboxService;
  const policy: RetryPolicy = {
    maxAttempts: 2,
    baseDelayMs: 10,
    maxDelayMs: 20,
    isOutage: (error) => error instanceof TsaAway,
  };

  beforeAll(async () => {
    db = await openMigratedDataSource('outbox');
    outbox = new OutboxService(db.dataSource, new SystemClock());
  });
  afterAll(() => db.close());

  async function newRow(): Promise<string> {
    return db.dataSource.transaction((m) => outbox.add(m, { topic: 'test.work', aggregateId: randomUUID() }));
  }

  async function state(id: string): Promise<{ status: string; attempts: number; last_error: string | null }> {
    const [row] = (await db.dataSource.query(`SELECT status, attempts, last_error FROM outbox WHERE id = $1`, [
      id,
    ])) as { status: string; attempts: number; last_error: string | null }[];
    return row;
  }

  /** One attempt as a relay makes it: claim, then report the failure. */
  async function failOnce(id: string, error: Error): Promise<'retry' | 'dead'> {
    expect(await outbox.claim(id, 60_000)).not.toBeNull();
    return outbox.fail(id, error, policy);
  }

  it('keeps retrying through an outage long after the attempts are spent', async () => {
    const id = await newRow();
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect(await failOnce(id, new TsaAway('The TSA did not answer'))).toBe('retry');
    }
    expect(await state(id)).toEqual({ status: 'pending', attempts: 5, last_error: 'The TSA did not answer' });
  });

  it('gives up on other failures once the attempts are spent', async () => {
    const id = await newRow();
    expect(await failOnce(id, new Error('refused'))).toBe('retry');
    expect(await failOnce(id, new Error('refused again'))).toBe('dead');
    expect(await state(id)).toEqual({ status: 'dead', attempts: 2, last_error: 'refused again' });
  });

  it('counts an outage after other failures as an outage', async () => {
    const id = await newRow();
    expect(await failOnce(id, new Error('refused'))).toBe('retry');
    expect(await failOnce(id, new TsaAway('away'))).toBe('retry');
    expect(await failOnce(id, new TsaAway('still away'))).toBe('retry');
    expect((await state(id)).status).toBe('pending');
  });

  it('lets a permanent failure end the row at once, outage policy or not', async () => {
    const id = await newRow();
    expect(await failOnce(id, new PermanentFailure('no such thing'))).toBe('dead');
    expect((await state(id)).status).toBe('dead');
  });
});
