import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { CertificateTypeVersionEntity } from '@zhengming/certificate-types';
import { PersonEntity } from '@zhengming/identity';
import { OrganizationEntity } from '@zhengming/organizations';
import type { ApplicationStatus } from './application-state-machine';

/**
 * One application for a certificate. The row carries what the review queue needs (committee, town,
 * status, dates, the clock) so the queue is one index scan of one table; the filled-in form is
 * personal data and is stored encrypted as a whole.
 */
@Entity({ name: 'applications' })
@Check(
  'applications_status_check',
  `status IN ('draft','submitted','in_review','supplement_requested','approved','issued','rejected','withdrawn','revoked')`,
)
// The committee's review queue: open applications, oldest first (keyset pagination on submitted_at, id).
@Index('applications_queue_idx', ['committeeId', 'submittedAt', 'id'], {
  where: `status IN ('submitted','in_review','supplement_requested','approved')`,
})
@Index('applications_committee_status_idx', ['committeeId', 'status', 'submittedAt', 'id'])
@Index('applications_applicant_idx', ['applicantId', 'createdAt', 'id'])
// The statistics refresh recounts one committee's day: submissions and rejections by time.
@Index('applications_committee_submitted_idx', ['committeeId', 'submittedAt'], { where: 'submitted_at IS NOT NULL' })
@Index('applications_committee_rejected_idx', ['committeeId', 'decidedAt'], { where: `status = 'rejected'` })
export class ApplicationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** What residents and staff quote on the phone: SQ + date + serial. */
  @Column({ name: 'reference_no', type: 'varchar', length: 24, unique: true })
  referenceNo!: string;

  @Column({ name: 'type_code', type: 'varchar', length: 64 })
  typeCode!: string;

  /** The exact type version (form schema, materials, time limit) the application was made with. */
  @Column({ name: 'type_version_id', type: 'uuid' })
  typeVersionId!: string;

  @ManyToOne(() => CertificateTypeVersionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'type_version_id' })
  typeVersion?: Relation<CertificateTypeVersionEntity>;

  @Column({ name: 'committee_id', type: 'uuid' })
  committeeId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'committee_id' })
  committee?: Relation<OrganizationEntity>;

  /** The committee's town: object-level checks for supervisors need it without a join. */
  @Column({ name: 'town_id', type: 'uuid' })
  townId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'town_id' })
  town?: Relation<OrganizationEntity>;

  @Column({ name: 'applicant_id', type: 'uuid' })
  applicantId!: string;

  @ManyToOne(() => PersonEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'applicant_id' })
  applicant?: Relation<PersonEntity>;

  @Column({ name: 'applicant_name_masked', type: 'varchar', length: 64 })
  applicantNameMasked!: string;

  @Column({ type: 'varchar', length: 24 })
  status!: ApplicationStatus;

  /** The form as JSON, encrypted with the personal-data key (field `form`). */
  @Column({ name: 'form_enc', type: 'text' })
  formEnc!: string;

  /** Submission rounds: 1 after the first submission, +1 for each resubmission after a supplement. */
  @Column({ type: 'integer', default: 0 })
  round!: number;

  @Column({ name: 'time_limit_working_days', type: 'integer' })
  timeLimitWorkingDays!: number;

  @Column({ name: 'clock_used_working_days', type: 'integer', default: 0 })
  clockUsedWorkingDays!: number;

  /** Start date (Asia/Shanghai) of the running clock segment; null while paused or stopped. */
  @Column({ name: 'clock_running_since', type: 'date', nullable: true })
  clockRunningSince!: string | null;

  @Column({ name: 'rejection_reason', type: 'varchar', length: 500, nullable: true })
  rejectionReason!: string | null;

  @Column({ name: 'submitted_at', type: 'timestamptz', nullable: true })
  submittedAt!: Date | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  @Column({ name: 'approved_by', type: 'uuid', nullable: true })
  approvedBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** An uploaded material. Files live in object storage; the row says what and where. */
@Entity({ name: 'application_materials' })
@Index('application_materials_application_idx', ['applicationId', 'requirementKey'])
export class ApplicationMaterialEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'application_id', type: 'uuid' })
  applicationId!: string;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'application_id' })
  application?: Relation<ApplicationEntity>;

  @Column({ name: 'requirement_key', type: 'varchar', length: 64 })
  requirementKey!: string;

  /** The round the file was uploaded for (0 = the draft), so reviewers see what is new. */
  @Column({ type: 'integer' })
  round!: number;

  @Column({ name: 'file_name', type: 'varchar', length: 120 })
  fileName!: string;

  @Column({ type: 'varchar', length: 8 })
  kind!: 'image' | 'pdf';

  @Column({ name: 'content_type', type: 'varchar', length: 64 })
  contentType!: string;

  @Column({ name: 'size_bytes', type: 'integer' })
  sizeBytes!: number;

  @Column({ type: 'char', length: 64 })
  sha256!: string;

  @Column({ name: 'storage_key', type: 'varchar', length: 512 })
  storageKey!: string;

  @Column({ name: 'uploaded_by', type: 'uuid' })
  uploadedBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export interface SupplementItem {
  materialKey: string;
  materialName: string;
  reason: string;
}

/** 材料补齐: what a reviewer asked for in one round, and when the resident answered. */
@Entity({ name: 'supplement_requests' })
@Index('supplement_requests_application_round_key', ['applicationId', 'round'], { unique: true })
export class SupplementRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'application_id', type: 'uuid' })
  applicationId!: string;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'application_id' })
  application?: Relation<ApplicationEntity>;

  /** The submission round the request answers (the resubmission will be round + 1). */
  @Column({ type: 'integer' })
  round!: number;

  @Column({ type: 'jsonb' })
  items!: SupplementItem[];

  @Column({ type: 'varchar', length: 500, nullable: true })
  note!: string | null;

  @Column({ name: 'requested_by', type: 'uuid' })
  requestedBy!: string;

  @CreateDateColumn({ name: 'requested_at', type: 'timestamptz' })
  requestedAt!: Date;

  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true })
  answeredAt!: Date | null;
}

/** The form as it was submitted in each round: what the reviewer compares to see what changed. */
@Entity({ name: 'application_rounds' })
@Index('application_rounds_application_round_key', ['applicationId', 'round'], { unique: true })
export class ApplicationRoundEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'application_id', type: 'uuid' })
  applicationId!: string;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'application_id' })
  application?: Relation<ApplicationEntity>;

  @Column({ type: 'integer' })
  round!: number;

  @Column({ name: 'form_enc', type: 'text' })
  formEnc!: string;

  @CreateDateColumn({ name: 'submitted_at', type: 'timestamptz' })
  submittedAt!: Date;
}

/** The progress timeline the resident sees; the audit log keeps the tamper-evident record. */
@Entity({ name: 'application_events' })
@Index('application_events_application_idx', ['applicationId', 'seq'])
export class ApplicationEventEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  seq!: string;

  @Column({ name: 'application_id', type: 'uuid' })
  applicationId!: string;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'application_id' })
  application?: Relation<ApplicationEntity>;

  @Column({ type: 'varchar', length: 32 })
  action!: string;

  @Column({ name: 'to_status', type: 'varchar', length: 24 })
  toStatus!: ApplicationStatus;

  @Column({ name: 'actor_role', type: 'varchar', length: 16 })
  actorRole!: string;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  note!: string | null;

  @CreateDateColumn({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}

/**
 * An Idempotency-Key a caller sent with a request that creates or changes something: the same key
 * with the same request answers the first result again; with a different request it is refused.
 */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  @Column({ name: 'principal_id', type: 'uuid', primary: true })
  principalId!: string;

  @Column({ type: 'varchar', length: 128, primary: true })
  key!: string;

  @Column({ type: 'varchar', length: 64 })
  scope!: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ name: 'application_id', type: 'uuid' })
  applicationId!: string;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'application_id' })
  application?: Relation<ApplicationEntity>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A day that differs from the Monday-to-Friday rule: a public holiday or a make-up working day. */
@Entity({ name: 'calendar_days' })
@Check('calendar_days_kind_check', `kind IN ('holiday','workday')`)
export class CalendarDayEntity {
  @Column({ type: 'date', primary: true })
  date!: string;

  @Column({ type: 'varchar', length: 8 })
  kind!: 'holiday' | 'workday';

  @Column({ type: 'varchar', length: 64 })
  name!: string;
}
