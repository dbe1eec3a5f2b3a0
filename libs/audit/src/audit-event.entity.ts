import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One link of the tamper-evident audit chain. Rows are only ever inserted: a trigger refuses UPDATE,
 * DELETE and TRUNCATE for every database role, and `hash` covers the canonical form of the row
 * together with the previous row's hash, so an edit made around the trigger breaks the chain.
 * Nothing personal is stored here: actors and objects are ids, details never carry ID or phone numbers.
 */
@Entity({ name: 'audit_events' })
@Index('audit_events_actor_idx', ['actorId', 'seq'])
@Index('audit_events_object_idx', ['objectType', 'objectId', 'seq'])
@Index('audit_events_occurred_idx', ['occurredAt'])
export class AuditEventEntity {
  /** Gapless position in the chain, assigned under the append lock. */
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType!: AuditActorType;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 16 })
  outcome!: AuditOutcome;

  @Column({ name: 'object_type', type: 'varchar', length: 32, nullable: true })
  objectType!: string | null;

  @Column({ name: 'object_id', type: 'varchar', length: 64, nullable: true })
  objectId!: string | null;

  @Column({ name: 'organization_id', type: 'uuid', nullable: true })
  organizationId!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId!: string | null;

  @Column({ type: 'jsonb' })
  details!: Record<string, unknown>;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;
}

export type AuditActorType = 'person' | 'institution' | 'system' | 'anonymous';
export type AuditOutcome = 'success' | 'failure' | 'denied';
