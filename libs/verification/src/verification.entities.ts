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
import { CertificateEntity } from '@zhengming/certificates';
import { VerifierInstitutionEntity } from '@zhengming/identity';
import { SigningKeyEntity } from '@zhengming/signing';

/** How a certificate was checked: the printed QR, the number typed in, an institution's API call, an uploaded PDF. */
export const VERIFICATION_METHODS = ['qr', 'manual', 'api', 'pdf'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

/** What the check answered. `unknown`: no such number, or the wrong code; `invalid`: a PDF that failed. */
export const VERIFICATION_RESULTS = ['valid', 'expired', 'revoked', 'unknown', 'invalid'] as const;
export type VerificationResult = (typeof VERIFICATION_RESULTS)[number];

/** The verifier's sector, or `anonymous` for the public page: the figures report 3 breaks down by. */
export const VERIFIER_SECTORS = ['government', 'bank', 'school', 'other', 'anonymous'] as const;
export type VerifierSectorOrAnonymous = (typeof VERIFIER_SECTORS)[number];

/**
 * One verification: who (an institution, or nobody for an anonymous public check, of whom nothing is
 * kept), when, how and with what result. The certificate is set only when the check identified one,
 * so a guess at a number never lands in a holder's log.
 */
@Entity({ name: 'verifications' })
@Check('verifications_method_check', `"method" IN ('qr', 'manual', 'api', 'pdf')`)
@Check('verifications_result_check', `"result" IN ('valid', 'expired', 'revoked', 'unknown', 'invalid')`)
@Check(
  'verifications_sector_check',
  `"sector" IN ('government', 'bank', 'school', 'other', 'anonymous') AND (("sector" = 'anonymous') = ("institution_id" IS NULL))`,
)
@Index('verifications_certificate_idx', ['certificateId', 'checkedAt'])
@Index('verifications_checked_at_idx', ['checkedAt'])
export class VerificationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'certificate_id', type: 'uuid', nullable: true })
  certificateId!: string | null;

  // No foreign key: see migration 1796300000000 (a row lock on the certificate per check recorded).
  @ManyToOne(() => CertificateEntity, { nullable: true, createForeignKeyConstraints: false })
  @JoinColumn({ name: 'certificate_id' })
  certificate?: Relation<CertificateEntity> | null;

  @Column({ name: 'institution_id', type: 'uuid', nullable: true })
  institutionId!: string | null;

  @ManyToOne(() => VerifierInstitutionEntity, { nullable: true, createForeignKeyConstraints: false })
  @JoinColumn({ name: 'institution_id' })
  institution?: Relation<VerifierInstitutionEntity> | null;

  @Column({ type: 'varchar', length: 16 })
  sector!: VerifierSectorOrAnonymous;

  @Column({ type: 'varchar', length: 8 })
  method!: VerificationMethod;

  @Column({ type: 'varchar', length: 8 })
  result!: VerificationResult;

  @Column({ name: 'checked_at', type: 'timestamptz' })
  checkedAt!: Date;
}

/**
 * A key that signs presentation tokens (the QR a resident shows on their phone). Each signs for a
 * window [notBefore, notAfter) and is published in the trust list from its creation until the last
 * token it signed has expired, so an offline verifier's cached list already holds the next key.
 */
@Entity({ name: 'presentation_keys' })
@Index('presentation_keys_not_after_idx', ['notAfter'])
export class PresentationKeyEntity {
  /** The JWS `kid`. */
  @PrimaryColumn({ type: 'varchar', length: 16 })
  id!: string;

  @Column({ name: 'signing_key_id', type: 'uuid' })
  signingKeyId!: string;

  @ManyToOne(() => SigningKeyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'signing_key_id' })
  signingKey?: Relation<SigningKeyEntity>;

  /** The public key as a JWK (kty, crv, x, y). */
  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: { kty: 'EC'; crv: 'P-256'; x: string; y: string };

  @Column({ name: 'not_before', type: 'timestamptz' })
  notBefore!: Date;

  @Column({ name: 'not_after', type: 'timestamptz' })
  notAfter!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
