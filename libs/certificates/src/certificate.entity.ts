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
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { ApplicationEntity } from '@zhengming/applications';
import { CertificateTypeVersionEntity } from '@zhengming/certificate-types';
import { OrganizationEntity } from '@zhengming/organizations';
import { PersonalSigningCertificateEntity, SealEntity } from '@zhengming/signing';

export const CERTIFICATE_STATUSES = ['pending', 'issued', 'revoked'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/**
 * An issued certificate (证明). The row is made `pending` with its number before anything is signed,
 * so a retry after a crash reuses the number instead of taking a second one; it becomes `issued` in
 * the same transaction that marks the application issued.
 */
@Entity({ name: 'certificates' })
@Check('certificates_status_check', `"status" IN ('pending', 'issued', 'revoked')`)
@Check('certificates_revocation_check', `("status" = 'revoked') = ("revoked_at" IS NOT NULL)`)
@Index('certificates_committee_issued_idx', ['committeeId', 'issuedAt'])
@Index('certificates_seal_idx', ['sealId', 'issuedAt'])
@Index('certificates_document_sha256_idx', ['documentSha256'])
// The statistics refresh recounts one committee's day: revocations and seal uses by time.
@Index('certificates_committee_revoked_idx', ['committeeId', 'revokedAt'], { where: `"status" = 'revoked'` })
@Index('certificates_seal_signed_idx', ['sealId', 'signedAt'])
export class CertificateEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'application_id', type: 'uuid', unique: true })
  applicationId!: string;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'application_id' })
  application?: Relation<ApplicationEntity>;

  /** Printed form, e.g. 440118001001-EV-2026-000123-K. */
  @Column({ type: 'varchar', length: 40, unique: true })
  number!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: CertificateStatus;

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

  /** The printed verification code, encrypted like personal data: it opens the verification page. */
  @Column({ name: 'verification_code_enc', type: 'text' })
  verificationCodeEncrypted!: string;

  /** The holder (the applicant) as verification shows them: masked when the number is taken. */
  @Column({ name: 'holder_name_masked', type: 'varchar', length: 64 })
  holderNameMasked!: string;

  @Column({ name: 'holder_id_masked', type: 'varchar', length: 32 })
  holderIdMasked!: string;

  /** The date printed on the certificate and the signatures' /M; fixed when the number is taken. */
  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt!: Date;

  @Column({ name: 'valid_until', type: 'timestamptz' })
  validUntil!: Date;

  @Column({ name: 'seal_id', type: 'uuid', nullable: true })
  sealId!: string | null;

  @ManyToOne(() => SealEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'seal_id' })
  seal?: Relation<SealEntity> | null;

  @Column({ name: 'seal_serial_hex', type: 'varchar', length: 64, nullable: true })
  sealSerialHex!: string | null;

  @Column({ name: 'approver_certificate_id', type: 'uuid', nullable: true })
  approverCertificateId!: string | null;

  @ManyToOne(() => PersonalSigningCertificateEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'approver_certificate_id' })
  approverCertificate?: Relation<PersonalSigningCertificateEntity> | null;

  @Column({ name: 'approver_serial_hex', type: 'varchar', length: 64, nullable: true })
  approverSerialHex!: string | null;

  @Column({ name: 'document_sha256', type: 'char', length: 64, nullable: true })
  documentSha256!: string | null;

  @Column({ name: 'document_bytes', type: 'integer', nullable: true })
  documentBytes!: number | null;

  @Column({ name: 'storage_key', type: 'varchar', length: 300, nullable: true })
  storageKey!: string | null;

  @Column({ name: 'signed_at', type: 'timestamptz', nullable: true })
  signedAt!: Date | null;

  /** Set with status `revoked`: verification shows the reason and the date from that moment on. */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revocation_reason', type: 'varchar', length: 200, nullable: true })
  revocationReason!: string | null;

  @Column({ name: 'revoked_by', type: 'uuid', nullable: true })
  revokedBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** The last serial taken per committee, type and year: numbers are dense and never reused. */
@Entity({ name: 'certificate_serials' })
export class CertificateSerialEntity {
  @PrimaryColumn({ name: 'committee_id', type: 'uuid' })
  committeeId!: string;

  @PrimaryColumn({ name: 'number_code', type: 'char', length: 2 })
  numberCode!: string;

  @PrimaryColumn({ type: 'smallint' })
  year!: number;

  @Column({ name: 'last_serial', type: 'integer' })
  lastSerial!: number;
}
