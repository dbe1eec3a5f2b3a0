import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '@zhengming/clock';
import { OutboxMessageEntity } from './outbox-message.entity';

export interface OutboxEntry {
  topic: string;
  aggregateId: string;
  /** Ids and flags only, never personal data: queue mode carries it through Redis as it is. */
  payload?: OutboxMessageEntity['payload'];
  dedupeKey?: string;
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Failures that only wait for another system to come back (a TSA that is away): tried again at the
   * backoff, capped at maxDelayMs, however long the outage lasts, without spending maxAttempts. The
   * work can be done no other way, and giving up would leave it undone for nobody's fault.
   */
  isOutage?: (error: unknown) => boolean;
}

/**
 * A failure that retrying cannot mend (the other side refused the request as such): the row goes
 * to `dead` at once with this reason instead of being tried again.
 */
export class PermanentFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 2_000, maxDelayMs: 15 * 60_000 };

/** Exponential backoff with full jitter (AWS architecture blog's "full jitter"), capped. */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The outbox's rows: `created_at` and `done_at` record when the change was made and its work done, by
 * the clock; `available_at` and `locked_until` schedule the relays, by the database's own time, which
 * every relay compares them with (a server clock ahead of the database's must never delay a row).
 */
@Injectable()
export class OutboxService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Writes a row in the caller's transaction: it commits or rolls back with the change it follows. */
  async add(manager: EntityManager, entry: OutboxEntry): Promise<string> {
    const [id] = await this.addAll(manager, [entry]);
    return id;
  }

  /** Writes several rows in the caller's transaction, in one insert; their ids, in order. */
  async addAll(manager: EntityManager, entries: readonly OutboxEntry[]): Promise<string[]> {
    if (entries.length === 0) return [];
    const createdAt = this.clock.now();
    const rows = entries.map((entry) =>
      manager.create(OutboxMessageEntity, {
        topic: entry.topic,
        aggregateId: entry.aggregateId,
        payload: entry.payload ?? {},
        dedupeKey: entry.dedupeKey ?? null,
        createdAt,
      }),
    );
    await manager.insert(OutboxMessageEntity, rows);
    return rows.map((row) => row.id);
  }

  /**
   * Claims due rows of the given topics: pending ones whose time has come, and in-flight ones whose
   * claim lapsed (their worker died, or Redis lost the job). SKIP LOCKED lets relays in several
   * processes claim side by side without taking the same row.
   */
  async claimDue(topics: readonly string[], limit: number, leaseMs: number): Promise<OutboxMessageEntity[]> {
    if (topics.length === 0) return [];
    const rows = (await this.dataSource.query(
      `UPDATE outbox SET status = 'in_flight', attempts = attempts + 1,
              locked_until = now() + ($3::int * interval '1 millisecond')
        WHERE id IN (
          SELECT id FROM outbox
           WHERE topic = ANY($1)
             AND ((status = 'pending' AND available_at <= now())
               OR (status = 'in_flight' AND locked_until < now()))
           ORDER BY available_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
        RETURNING id, topic, aggregate_id AS "aggregateId", payload, attempts`,
      [topics, limit, leaseMs],
    )) as [Pick<OutboxMessageEntity, 'id' | 'topic' | 'aggregateId' | 'payload' | 'attempts'>[], number];
    return rows[0].map((row) => Object.assign(new OutboxMessageEntity(), row));
  }

  /**
   * Claims one row now if it is pending, whatever its time: for a caller that works a row the moment
   * it was written (the history seed, OutboxRelay.workNow). Null when the row is not pending.
   */
  async claim(id: string, leaseMs: number): Promise<OutboxMessageEntity | null> {
    const rows = (await this.dataSource.query(
      `UPDATE outbox SET status = 'in_flight', attempts = attempts + 1,
              locked_until = now() + ($2::int * interval '1 millisecond')
        WHERE id = $1 AND status = 'pending'
        RETURNING id, topic, aggregate_id AS "aggregateId", payload, attempts`,
      [id, leaseMs],
    )) as [Pick<OutboxMessageEntity, 'id' | 'topic' | 'aggregateId' | 'payload' | 'attempts'>[], number];
    return rows[0][0] ? Object.assign(new OutboxMessageEntity(), rows[0][0]) : null;
  }

  /** Marks rows done; one still in flight only (a row re-claimed and finished elsewhere stays as it is). */
  async complete(...ids: string[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE outbox SET status = 'done', done_at = $2, locked_until = NULL, last_error = NULL
        WHERE id = ANY($1::uuid[]) AND status = 'in_flight'`,
      [ids, this.clock.now()],
    );
  }

  /**
   * Records a failed attempt: back to pending after a backoff, or dead once the attempts are spent
   * (an outage of the policy's never spends them) or the failure is permanent. `onDead` runs in the
   * same transaction as the move to dead (an alert written with it is never lost, nor written for a
   * row that did not die).
   */
  async fail(
    id: string,
    error: unknown,
    policy: RetryPolicy = DEFAULT_RETRY,
    onDead?: (manager: EntityManager, reason: string) => Promise<void>,
  ): Promise<'retry' | 'dead'> {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    return this.dataSource.transaction(async (m) => {
      const [row] = (await m.query(`SELECT attempts FROM outbox WHERE id = $1 AND status = 'in_flight' FOR UPDATE`, [
        id,
      ])) as { attempts: number }[];
      // Not in flight (any more): another claimant finished it, or it was re-claimed; leave it alone.
      if (!row) return 'retry';
      const spent = row.attempts >= policy.maxAttempts && !policy.isOutage?.(error);
      const dead = error instanceof PermanentFailure || spent;
      await m.query(
        `UPDATE outbox SET status = $2, last_error = $3, locked_until = NULL,
                available_at = now() + ($4::int * interval '1 millisecond')
          WHERE id = $1`,
        [id, dead ? 'dead' : 'pending', message, dead ? 0 : retryDelayMs(row.attempts, policy)],
      );
      if (dead) await onDead?.(m, message);
      return dead ? 'dead' : 'retry';
    });
  }

  /** Dead rows of a topic (all, or those named) given a fresh start: pending now, attempts from zero. */
  async revive(topic: string, ids?: readonly string[]): Promise<number> {
    const [, count] = (await this.dataSource.query(
      `UPDATE outbox SET status = 'pending', attempts = 0, available_at = now(), locked_until = NULL
        WHERE topic = $1 AND status = 'dead' AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`,
      [topic, ids ?? null],
    )) as [unknown, number];
    return count;
  }

  async find(id: string): Promise<OutboxMessageEntity | null> {
    return this.dataSource.getRepository(OutboxMessageEntity).findOne({ where: { id } });
  }
}
