import { CreateDateColumn, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { ApplicationEntity } from '@zhengming/applications';
import { CertificateEntity } from '@zhengming/certificates';
import { OutboxMessageEntity } from '@zhengming/outbox';

/**
 * One certificate pushed to the power-supply company's business system. Its id is the idempotency key
 * every attempt carries; its outbox row holds the attempts, the backoff and the state (pending, in
 * flight, done, dead), so the two never disagree; this row adds the company's receipt once it answers.
 */
@Entity({ name: 'power_grid_deliveries' })
export class PowerGridDeliveryEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'certificate_id', type: 'uuid', unique: true })
  certificateId!: string;

  @ManyToOne(() => CertificateEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'certificate_id' })
  certificate?: Relation<CertificateEntity>;

  @Column({ name: 'application_id', type: 'uuid', unique: true })
  applicationId!: string;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'application_id' })
  application?: Relation<ApplicationEntity>;

  @Column({ name: 'outbox_id', type: 'uuid', unique: true })
  outboxId!: string;

  @ManyToOne(() => OutboxMessageEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'outbox_id' })
  outbox?: Relation<OutboxMessageEntity>;

  /** The company's 受理号, e.g. GD20261126000123. */
  @Column({ name: 'receipt_no', type: 'varchar', length: 40, nullable: true })
  receiptNo!: string | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
