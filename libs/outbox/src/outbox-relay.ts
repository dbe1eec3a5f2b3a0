import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import type { EntityManager } from 'typeorm';
import { REDIS_CONFIG, type RedisConfig } from '@zhengming/config';
import { OutboxMessageEntity } from './outbox-message.entity';
import { OutboxService, DEFAULT_RETRY, type RetryPolicy } from './outbox.service';

/** Does the work of one topic. Must be idempotent: a row can be handled more than once (at least once). */
export interface OutboxHandler {
  readonly topic: string;
  handle(message: OutboxMessageEntity): Promise<void>;
  /** Backoff and attempts of this topic; DEFAULT_RETRY otherwise. */
  readonly retry?: RetryPolicy;
  /**
   * How long a claimed row of this topic stays with its claimant before the sweeper hands it out
   * again; the relay's lease otherwise. A call to another system: its timeout and a margin.
   */
  readonly leaseMs?: number;
  /**
   * Works several rows of this topic at once (at most `batchSize`), where sharing the work pays (one
   * transaction, multi-row statements): each row's failure in the order given, undefined where it
   * succeeded. A relay then hands this handler its due rows in groups instead of one by one.
   */
  handleMany?(messages: OutboxMessageEntity[]): Promise<unknown[]>;
  readonly batchSize?: number;
  /** Runs in the transaction that moves a row to dead: the place to alert someone. */
  onDead?(manager: EntityManager, message: OutboxMessageEntity, reason: string): Promise<void>;
}

/** Contexts register their handlers at module init; the relay only claims topics someone handles. */
@Injectable()
export class OutboxHandlers {
  private readonly byTopic = new Map<string, OutboxHandler>();

  register(handler: OutboxHandler): void {
    if (this.byTopic.has(handler.topic)) throw new Error(`two outbox handlers for ${handler.topic}`);
    this.byTopic.set(handler.topic, handler);
  }

  get topics(): string[] {
    return [...this.byTopic.keys()];
  }

  /** Topics grouped by the lease their claims take. */
  leases(defaultLeaseMs: number): Map<number, string[]> {
    const groups = new Map<number, string[]>();
    for (const handler of this.byTopic.values()) {
      const lease = handler.leaseMs ?? defaultLeaseMs;
      groups.set(lease, [...(groups.get(lease) ?? []), handler.topic]);
    }
    return groups;
  }

  get(topic: string): OutboxHandler | undefined {
    return this.byTopic.get(topic);
  }
}

export const OUTBOX_RELAY_OPTIONS = Symbol('OUTBOX_RELAY_OPTIONS');

export interface OutboxRelayOptions {
  /**
   * `in-process`: claim due rows and run their handlers here (no Redis: the embedded demo).
   * `queue`: claim due rows and put them on BullMQ; this process also works the queue (the worker).
   * `off`: this process writes outbox rows only (the API when a worker with Redis runs beside it).
   */
  mode: 'in-process' | 'queue' | 'off';
  pollIntervalMs: number;
  /** How long a claimed row stays with its claimant before the sweeper hands it out again. */
  leaseMs: number;
  batchSize: number;
  /** Jobs this process works at once in queue mode; issuing is mostly waiting (threads, database). */
  concurrency?: number;
}

/** The BullMQ queue the relay feeds (the admins' queue board shows it). */
export const OUTBOX_QUEUE_NAME = 'outbox';
/** How soon the relay looks again while a backlog drains. */
const BACKLOG_POLL_MS = 50;

/**
 * A job is the claimed row as the relay read it, so working it takes no query to read it again. The
 * payload holds ids only, never personal data (see OutboxEntry). A job queued before jobs carried the
 * row has its id only, and the row is read.
 */
interface OutboxJob {
  outboxId: string;
  topic?: string;
  aggregateId?: string;
  payload?: OutboxMessageEntity['payload'];
  attempts?: number;
  /** The rest of a group for a handler that works several rows at once (handleMany). */
  more?: OutboxJobRow[];
}

type OutboxJobRow = Required<Omit<OutboxJob, 'more'>>;

/**
 * Moves due outbox rows to their handlers: the relay and the sweeper in one loop, since a lapsed
 * claim is just another due row. The database decides what is due; Redis may lose every job and
 * the next claim after the lease puts it back.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private queue: Queue<OutboxJob> | undefined;
  private worker: Worker<OutboxJob> | undefined;
  private stopped = false;
  private backlogged = false;

  constructor(
    private readonly outbox: OutboxService,
    private readonly handlers: OutboxHandlers,
    @Inject(OUTBOX_RELAY_OPTIONS) private readonly options: OutboxRelayOptions,
    @Inject(REDIS_CONFIG) private readonly redis: RedisConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.mode === 'off') return;
    if (this.options.mode === 'queue') this.startQueue();
    this.schedule();
  }

  private startQueue(): void {
    if (!this.redis.url) throw new Error('the outbox queue mode needs REDIS_URL');
    const connection = { url: this.redis.url, maxRetriesPerRequest: null };
    const prefix = `${this.redis.keyPrefix}:bull`;
    this.queue = new Queue<OutboxJob>(OUTBOX_QUEUE_NAME, { connection, prefix });
    this.worker = new Worker<OutboxJob>(OUTBOX_QUEUE_NAME, (job: Job<OutboxJob>) => this.handleJob(job.data), {
      connection,
      prefix,
      concurrency: this.options.concurrency ?? 4,
    });
    this.worker.on('error', (error) => this.logger.error(`outbox worker: ${error.message}`));
    this.queue.on('error', (error) => this.logger.error(`outbox queue: ${error.message}`));
  }

  /**
   * The next pass comes after the poll interval, or at once while a backlog is draining (a full
   * batch was claimed), so throughput is not capped at one batch per interval.
   */
  private schedule(delayMs = this.options.pollIntervalMs): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      let claimed = 0;
      this.running = this.pollOnce()
        .then((count) => void (claimed = count))
        .catch((error: unknown) => this.logger.error(`outbox relay: ${(error as Error).message}`))
        .finally(() => {
          this.running = undefined;
          const draining = claimed >= this.options.batchSize || this.backlogged;
          this.schedule(draining ? BACKLOG_POLL_MS : this.options.pollIntervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One relay pass; returns how many rows it claimed. Public for tests and for `drain`. */
  async pollOnce(): Promise<number> {
    // Backpressure: claim no further ahead than the workers can take before the leases run out.
    this.backlogged = this.queue !== undefined && (await this.queue.getWaitingCount()) >= this.options.batchSize;
    if (this.backlogged) return 0;
    const due: OutboxMessageEntity[] = [];
    for (const [leaseMs, topics] of this.handlers.leases(this.options.leaseMs)) {
      due.push(...(await this.outbox.claimDue(topics, this.options.batchSize - due.length, leaseMs)));
      if (due.length >= this.options.batchSize) break;
    }
    const groups = this.grouped(due);
    if (this.queue) {
      await this.queue.addBulk(
        groups.map(([first, ...more]) => ({
          name: first.topic,
          data: { ...jobRow(first), ...(more.length > 0 ? { more: more.map(jobRow) } : {}) },
          // A fresh job id per attempt: a re-claimed row must not be swallowed by the old job's id.
          opts: { jobId: `${first.id}-${first.attempts}`, removeOnComplete: 1000, removeOnFail: 1000 },
        })),
      );
    } else {
      for (const group of groups) await this.runGroup(group);
    }
    return due.length;
  }

  /**
   * Claims one row, whatever its time, and works it here at once as a pass would; throws what its
   * handler threw, once the failure is recorded (retry or dead). False when the row was not pending:
   * done already, or claimed by another process first. For a caller that works each row the moment it
   * is written: the history seed, whose steps must not leave work for a relay to do in the present.
   */
  async workNow(row: Pick<OutboxMessageEntity, 'id' | 'topic'>): Promise<boolean> {
    const handler = this.handlers.get(row.topic);
    if (!handler) return false;
    const message = await this.outbox.claim(row.id, handler.leaseMs ?? this.options.leaseMs);
    if (!message) return false;
    const error = await this.run(message);
    if (error !== undefined) throw error;
    return true;
  }

  /** Due rows as the handlers take them: alone, or in groups of up to batchSize for handleMany. */
  private grouped(due: OutboxMessageEntity[]): OutboxMessageEntity[][] {
    const groups: OutboxMessageEntity[][] = [];
    const open = new Map<string, OutboxMessageEntity[]>();
    for (const message of due) {
      const handler = this.handlers.get(message.topic);
      const size = handler?.handleMany ? (handler.batchSize ?? 1) : 1;
      let group = open.get(message.topic);
      if (!group || group.length >= size) {
        group = [];
        groups.push(group);
        open.set(message.topic, group);
      }
      group.push(message);
    }
    return groups;
  }

  /**
   * Works the rows a job carries. A duplicate job (its rows re-claimed after the lease, or done
   * already) runs the handler again, which is idempotent, and records nothing: completing or failing
   * a row touches it only while it is in flight.
   */
  private async handleJob(job: OutboxJob): Promise<void> {
    if (job.topic === undefined) {
      const message = await this.outbox.find(job.outboxId);
      // Done or dead already: nothing to do.
      if (message?.status === 'in_flight') await this.run(message);
      return;
    }
    const rows = [job as OutboxJobRow, ...(job.more ?? [])];
    await this.runGroup(
      rows.map(({ outboxId: id, topic, aggregateId, payload, attempts }) =>
        Object.assign(new OutboxMessageEntity(), { id, topic, aggregateId, payload, attempts }),
      ),
    );
  }

  /** Works rows of one topic: together where the handler can, each failure recorded on its own row. */
  private async runGroup(messages: OutboxMessageEntity[]): Promise<void> {
    const handler = this.handlers.get(messages[0].topic);
    if (!handler?.handleMany || messages.length === 1) {
      for (const message of messages) await this.run(message);
      return;
    }
    let failures: unknown[];
    try {
      failures = await handler.handleMany(messages);
    } catch (error) {
      failures = messages.map(() => error);
    }
    const done = messages.filter((_, i) => failures[i] === undefined);
    if (done.length > 0) await this.outbox.complete(...done.map((message) => message.id));
    for (const [i, message] of messages.entries()) {
      if (failures[i] !== undefined) await this.recordFailure(handler, message, failures[i]);
    }
  }

  /** Works a claimed row; returns what its handler threw, if it failed (the failure recorded). */
  private async run(message: OutboxMessageEntity): Promise<unknown> {
    const handler = this.handlers.get(message.topic);
    if (!handler) return undefined;
    try {
      await handler.handle(message);
      await this.outbox.complete(message.id);
      return undefined;
    } catch (error) {
      await this.recordFailure(handler, message, error);
      return error;
    }
  }

  private async recordFailure(handler: OutboxHandler, message: OutboxMessageEntity, error: unknown): Promise<void> {
    const outcome = await this.outbox.fail(message.id, error, handler.retry ?? DEFAULT_RETRY, (m, reason) =>
      handler.onDead ? handler.onDead(m, message, reason) : Promise.resolve(),
    );
    const log = outcome === 'dead' ? 'error' : 'warn';
    this.logger[log](`outbox ${message.topic} ${message.id} attempt ${message.attempts}: ${(error as Error).message}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.worker?.close();
    await this.queue?.close();
  }
}

function jobRow(message: OutboxMessageEntity): OutboxJobRow {
  const { id: outboxId, topic, aggregateId, payload, attempts } = message;
  return { outboxId, topic, aggregateId, payload, attempts };
}
