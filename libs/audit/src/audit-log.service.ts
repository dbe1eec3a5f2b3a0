import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Clock } from '@zhengming/clock';
import { AuditEventEntity, type AuditActorType, type AuditOutcome } from './audit-event.entity';
import { auditEventHash, AuditChainVerifier, GENESIS_HASH, type ChainBreak } from './audit-chain';

/** Who did it; personal data never goes into the audit log, only ids. */
export interface AuditActor {
  type: AuditActorType;
  id?: string | null;
}

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  outcome?: AuditOutcome;
  object?: { type: string; id: string };
  organizationId?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditQuery {
  actorId?: string;
  objectType?: string;
  objectId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  /** Events with seq below this (the previous page's last seq). */
  before?: string;
  limit: number;
}

/** Appends are serialised across every process by a transaction-scoped advisory lock. */
const APPEND_LOCK = 0x7a6d_a0d1;

@Injectable()
export class AuditLog {
  /**
   * The chain's head as this process's open transactions last appended it. A transaction that holds
   * the append lock is the only one appending until it ends, so its next event follows its last one
   * without asking again. Entries go with their transaction's query runner, of which
   * DataSource.transaction makes one per transaction (nothing here reuses a runner for another).
   */
  private readonly heads = new WeakMap<QueryRunner, { seq: string; hash: string }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends one event. Pass the caller's transaction so that the event commits or rolls back with
   * the change it records; without one, the event is written in its own transaction.
   */
  async append(entry: AuditEntry, manager?: EntityManager): Promise<AuditEventEntity> {
    const [event] = await this.appendAll([entry], manager);
    return event;
  }

  /** Appends events in the order given, chained one after another, in one insert. */
  async appendAll(entries: readonly AuditEntry[], manager?: EntityManager): Promise<AuditEventEntity[]> {
    if (!manager) return this.dataSource.transaction((own) => this.appendAll(entries, own));
    if (entries.length === 0) return [];
    const runner = manager.queryRunner?.isTransactionActive ? manager.queryRunner : undefined;
    let last: { seq: string; hash: string } | undefined = runner && this.heads.get(runner);
    if (!last) {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      [last] = (await manager.query('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1')) as {
        seq: string;
        hash: string;
      }[];
    }
    const rows: AuditEventEntity[] = [];
    for (const entry of entries) {
      const event = {
        seq: String(BigInt(last?.seq ?? '0') + 1n),
        // A JavaScript date holds milliseconds, which timestamptz keeps exactly: it re-serialises alike.
        occurredAt: this.clock.now(),
        actorType: entry.actor.type,
        actorId: entry.actor.id ?? null,
        action: entry.action,
        outcome: entry.outcome ?? 'success',
        objectType: entry.object?.type ?? null,
        objectId: entry.object?.id ?? null,
        organizationId: entry.organizationId ?? null,
        requestId: entry.requestId ?? null,
        details: entry.details ?? {},
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const row: AuditEventEntity = manager.create(AuditEventEntity, { ...event, hash: auditEventHash(event) });
      rows.push(row);
      last = { seq: row.seq, hash: row.hash };
    }
    // `details` is free-form JSON, which TypeORM's deep-partial insert type cannot express.
    await manager.insert(AuditEventEntity, rows as QueryDeepPartialEntity<AuditEventEntity>[]);
    if (runner) this.heads.set(runner, last!);
    return rows;
  }

  async find(query: AuditQuery): Promise<AuditEventEntity[]> {
    const qb = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('e');
    if (query.actorId) qb.andWhere('e.actor_id = :actorId', { actorId: query.actorId });
    if (query.objectType) qb.andWhere('e.object_type = :objectType', { objectType: query.objectType });
    if (query.objectId) qb.andWhere('e.object_id = :objectId', { objectId: query.objectId });
    if (query.action) qb.andWhere('e.action = :action', { action: query.action });
    if (query.from) qb.andWhere('e.occurred_at >= :from', { from: query.from });
    if (query.to) qb.andWhere('e.occurred_at < :to', { to: query.to });
    if (query.before) qb.andWhere('e.seq < :before', { before: query.before });
    return qb.orderBy('e.seq', 'DESC').limit(query.limit).getMany();
  }

  /** Re-computes the whole chain page by page; the first break, or the verified head. */
  async verify(
    pageSize = 5000,
  ): Promise<
    { ok: true; checked: number; head: { seq: string; hash: string } } | ({ ok: false; checked: number } & ChainBreak)
  > {
    const verifier = new AuditChainVerifier();
    const repository = this.dataSource.getRepository(AuditEventEntity);
    let after = '0';
    for (;;) {
      const page = await repository
        .createQueryBuilder('e')
        .where('e.seq > :after', { after })
        .orderBy('e.seq', 'ASC')
        .limit(pageSize)
        .getMany();
      for (const event of page) {
        const broken = verifier.check(event);
        if (broken) return { ok: false, checked: verifier.checked, ...broken };
      }
      if (page.length < pageSize) return { ok: true, checked: verifier.checked, head: verifier.head };
      after = page[page.length - 1].seq;
    }
  }
}
