import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A message in the app: to one person (the resident), or to everyone working at one organization
 * (a committee learns of a new submission). The text is written when the event happens, in Chinese.
 */
@Entity({ name: 'notifications' })
@Index('notifications_person_idx', ['recipientPersonId', 'createdAt'])
@Index('notifications_organization_idx', ['recipientOrganizationId', 'createdAt'])
export class NotificationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'recipient_person_id', type: 'uuid', nullable: true })
  recipientPersonId!: string | null;

  @Column({ name: 'recipient_organization_id', type: 'uuid', nullable: true })
  recipientOrganizationId!: string | null;

  @Column({ name: 'application_id', type: 'uuid', nullable: true })
  applicationId!: string | null;

  @Column({ type: 'varchar', length: 32 })
  event!: string;

  @Column({ type: 'varchar', length: 100 })
  title!: string;

  @Column({ type: 'varchar', length: 500 })
  body!: string;

  /** The mobile number a text message goes to, encrypted (field `phone`); null when none is sent. */
  @Column({ name: 'sms_to_enc', type: 'text', nullable: true })
  smsToEnc!: string | null;

  /** When the text message was handed to the gateway, and the gateway's id for it. */
  @Column({ name: 'sms_sent_at', type: 'timestamptz', nullable: true })
  smsSentAt!: Date | null;

  @Column({ name: 'sms_message_id', type: 'varchar', length: 128, nullable: true })
  smsMessageId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'read_at', type: 'timestamptz', nullable: true })
  readAt!: Date | null;
}
