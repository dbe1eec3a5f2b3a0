import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type OutboxStatus = 'pending' | 'in_flight' | 'done' | 'dead';

/**
 * What must happen after a transaction commits, written in that transaction (DESIGN.md §6). The row
 * is the truth; a queue only executes it. It stays open until its handler records success.
 */
@Entity({ name: 'outbox' })
@Check('outbox_status_check', `status IN ('pending','in_flight','done','dead')`)
@Index('outbox_due_idx', ['availableAt'], { where: `status IN ('pending','in_flight')` })
@Index('outbox_aggregate_idx', ['aggregateId'])
export class OutboxMessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  topic!: string;

  @Column({ name: 'aggregate_id', type: 'uuid' })
  aggregateId!: string;

  /** Ids only, never personal data: the handler loads what it needs. */
  @Column({ type: 'jsonb' })
  payload!: Record<string, string | number | boolean | null>;

  /** At most one row per key: a second write of the same effect is a bug, and the database refuses it. */
  @Column({ name: 'dedupe_key', type: 'varchar', length: 160, nullable: true, unique: true })
  dedupeKey!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: OutboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'available_at', type: 'timestamptz', default: () => 'now()' })
  availableAt!: Date;

  /** While in flight: when the claim lapses and the row may be taken again (the sweeper's rule). */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 1000, nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'done_at', type: 'timestamptz', nullable: true })
  doneAt!: Date | null;
}
