import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';

export enum VerifierSector {
  Government = 'government',
  Bank = 'bank',
  School = 'school',
  Other = 'other',
}

export const SECTOR_NAMES: Readonly<Record<VerifierSector, string>> = {
  [VerifierSector.Government]: '政府机关',
  [VerifierSector.Bank]: '银行',
  [VerifierSector.School]: '学校',
  [VerifierSector.Other]: '其他',
};

/** A bank, school or office that verifies certificates through the API. */
@Entity({ name: 'verifier_institutions' })
@Check('verifier_institutions_sector_check', `"sector" IN ('government', 'bank', 'school', 'other')`)
export class VerifierInstitutionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  sector!: VerifierSector;

  /** 统一社会信用代码, when the institution has one. */
  @Column({ name: 'credit_code', type: 'varchar', length: 18, nullable: true, unique: true })
  creditCode!: string | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * An institution's API key. The secret is shown once at creation; only its SHA-256 is stored (the
 * secret is 256 random bits, so a fast hash is enough). `prefix` finds the row without the secret.
 */
@Entity({ name: 'verifier_api_keys' })
@Index('verifier_api_keys_institution_idx', ['institutionId'])
export class VerifierApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'institution_id', type: 'uuid' })
  institutionId!: string;

  @ManyToOne(() => VerifierInstitutionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'institution_id' })
  institution?: Relation<VerifierInstitutionEntity>;

  @Column({ type: 'varchar', length: 16, unique: true })
  prefix!: string;

  @Column({ name: 'secret_hash', type: 'char', length: 64 })
  secretHash!: string;

  @Column({ type: 'varchar', length: 64 })
  label!: string;

  @Column({ name: 'rate_limit_per_minute', type: 'integer' })
  rateLimitPerMinute!: number;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'uuid', nullable: true })
  revokedBy!: string | null;
}
