import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { PersonEntity } from '@zhengming/identity';
import { SealEntity } from '@zhengming/signing';

/** The four seals an enterprise may hold (企业电子印章). */
export const ENTERPRISE_SEAL_KINDS = ['official', 'finance', 'contract', 'invoice'] as const;
export type EnterpriseSealKind = (typeof ENTERPRISE_SEAL_KINDS)[number];

export const ENTERPRISE_SEAL_KIND_NAMES: Readonly<Record<EnterpriseSealKind, string>> = {
  official: '公章',
  finance: '财务专用章',
  contract: '合同专用章',
  invoice: '发票专用章',
};

/** An enterprise the district has issued seals to; made when its first application is approved. */
@Entity({ name: 'enterprises' })
export class EnterpriseEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** 统一社会信用代码, checked (GB 32100, GB 11714) and normalised. */
  @Column({ name: 'credit_code', type: 'varchar', length: 18, unique: true })
  creditCode!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** The legal representative (法定代表人), as the identity platform knows them. */
  @Column({ name: 'legal_representative_id', type: 'uuid' })
  legalRepresentativeId!: string;

  @ManyToOne(() => PersonEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'legal_representative_id' })
  legalRepresentative?: Relation<PersonEntity>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const ENTERPRISE_APPLICATION_STATUSES = ['submitted', 'approved', 'rejected'] as const;
export type EnterpriseApplicationStatus = (typeof ENTERPRISE_APPLICATION_STATUSES)[number];

/** A legal representative's application for seals (企业电子印章制发申请), reviewed by a district admin. */
@Entity({ name: 'enterprise_seal_applications' })
@Check('enterprise_seal_applications_status_check', `"status" IN ('submitted', 'approved', 'rejected')`)
@Index('enterprise_seal_applications_status_idx', ['status', 'createdAt'])
@Index('enterprise_seal_applications_applicant_idx', ['applicantId'])
export class EnterpriseSealApplicationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'credit_code', type: 'varchar', length: 18 })
  creditCode!: string;

  @Column({ name: 'enterprise_name', type: 'varchar', length: 100 })
  enterpriseName!: string;

  /** The legal representative who applied, signed in through the identity platform. */
  @Column({ name: 'applicant_id', type: 'uuid' })
  applicantId!: string;

  @ManyToOne(() => PersonEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'applicant_id' })
  applicant?: Relation<PersonEntity>;

  /** The seals asked for, each at most once. */
  @Column({ name: 'seal_kinds', type: 'varchar', length: 16, array: true })
  sealKinds!: EnterpriseSealKind[];

  @Column({ type: 'varchar', length: 16 })
  status!: EnterpriseApplicationStatus;

  @Column({ name: 'decision_reason', type: 'varchar', length: 200, nullable: true })
  decisionReason!: string | null;

  @Column({ name: 'decided_by', type: 'uuid', nullable: true })
  decidedBy!: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  /** Set on approval. */
  @Column({ name: 'enterprise_id', type: 'uuid', nullable: true })
  enterpriseId!: string | null;

  @ManyToOne(() => EnterpriseEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'enterprise_id' })
  enterprise?: Relation<EnterpriseEntity>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** Which seals belong to which enterprise, and what each is for. */
@Entity({ name: 'enterprise_seals' })
@Check('enterprise_seals_kind_check', `"kind" IN ('official', 'finance', 'contract', 'invoice')`)
@Index('enterprise_seals_enterprise_idx', ['enterpriseId'])
export class EnterpriseSealEntity {
  @PrimaryColumn({ name: 'seal_id', type: 'uuid' })
  sealId!: string;

  @ManyToOne(() => SealEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'seal_id' })
  seal?: Relation<SealEntity>;

  @Column({ name: 'enterprise_id', type: 'uuid' })
  enterpriseId!: string;

  @ManyToOne(() => EnterpriseEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'enterprise_id' })
  enterprise?: Relation<EnterpriseEntity>;

  @Column({ type: 'varchar', length: 16 })
  kind!: EnterpriseSealKind;

  /** The application that issued it. */
  @Column({ name: 'application_id', type: 'uuid' })
  applicationId!: string;

  @ManyToOne(() => EnterpriseSealApplicationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'application_id' })
  application?: Relation<EnterpriseSealApplicationEntity>;
}

/** A person the legal representative allows to use a seal (用章人); removal keeps the row. */
@Entity({ name: 'enterprise_seal_users' })
@Index('enterprise_seal_users_current_key', ['sealId', 'personId'], { unique: true, where: '"removed_at" IS NULL' })
@Index('enterprise_seal_users_person_idx', ['personId'])
export class EnterpriseSealUserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'seal_id', type: 'uuid' })
  sealId!: string;

  @ManyToOne(() => SealEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'seal_id' })
  seal?: Relation<SealEntity>;

  @Column({ name: 'person_id', type: 'uuid' })
  personId!: string;

  @ManyToOne(() => PersonEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'person_id' })
  person?: Relation<PersonEntity>;

  @Column({ name: 'granted_by', type: 'uuid' })
  grantedBy!: string;

  @CreateDateColumn({ name: 'granted_at', type: 'timestamptz' })
  grantedAt!: Date;

  @Column({ name: 'removed_by', type: 'uuid', nullable: true })
  removedBy!: string | null;

  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true })
  removedAt!: Date | null;
}

/**
 * One use of an enterprise seal (用章记录): who (a person, or the enterprise's system by its API key),
 * when, the SHA-256 of the document given and of the signed result, where the seal was placed, and
 * the certificate that signed.
 */
@Entity({ name: 'enterprise_seal_uses' })
@Check('enterprise_seal_uses_actor_check', `("person_id" IS NULL) <> ("api_key_id" IS NULL)`)
@Index('enterprise_seal_uses_seal_time_idx', ['sealId', 'usedAt'])
export class EnterpriseSealUseEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'seal_id', type: 'uuid' })
  sealId!: string;

  @ManyToOne(() => SealEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'seal_id' })
  seal?: Relation<SealEntity>;

  @Column({ name: 'person_id', type: 'uuid', nullable: true })
  personId!: string | null;

  @ManyToOne(() => PersonEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'person_id' })
  person?: Relation<PersonEntity>;

  @Column({ name: 'api_key_id', type: 'uuid', nullable: true })
  apiKeyId!: string | null;

  @ManyToOne(() => EnterpriseApiKeyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'api_key_id' })
  apiKey?: Relation<EnterpriseApiKeyEntity>;

  @Column({ name: 'document_sha256', type: 'char', length: 64 })
  documentSha256!: string;

  @Column({ name: 'signed_sha256', type: 'char', length: 64 })
  signedSha256!: string;

  /** 1-based, as people count pages. */
  @Column({ type: 'integer' })
  page!: number;

  /** The seal's centre, in PDF points from the page's bottom left. */
  @Column({ type: 'real' })
  x!: number;

  @Column({ type: 'real' })
  y!: number;

  @Column({ name: 'certificate_serial', type: 'varchar', length: 64 })
  certificateSerial!: string;

  @Column({ name: 'used_at', type: 'timestamptz' })
  usedAt!: Date;
}

/**
 * An enterprise's API key, for its own systems to seal documents (`POST /api/enterprise-seals/{id}/uses`
 * with `X-API-Key`). The secret is shown once; only its SHA-256 is kept, `prefix` finds the row.
 */
@Entity({ name: 'enterprise_api_keys' })
@Index('enterprise_api_keys_enterprise_idx', ['enterpriseId'])
export class EnterpriseApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'enterprise_id', type: 'uuid' })
  enterpriseId!: string;

  @ManyToOne(() => EnterpriseEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'enterprise_id' })
  enterprise?: Relation<EnterpriseEntity>;

  @Column({ type: 'varchar', length: 16, unique: true })
  prefix!: string;

  @Column({ name: 'secret_hash', type: 'char', length: 64 })
  secretHash!: string;

  @Column({ type: 'varchar', length: 64 })
  label!: string;

  @Column({ name: 'created_by', type: 'uuid' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
