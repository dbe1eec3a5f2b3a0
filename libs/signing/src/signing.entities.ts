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
import { OrganizationEntity } from '@zhengming/organizations';
import { PersonEntity } from '@zhengming/identity';
import type { KeyAlgorithm, KeyStoreKind } from './keys/key-store';

/** A key pair held by a key store; the row keeps the public half and the store's handle to the private one. */
@Entity({ name: 'signing_keys' })
@Check('signing_keys_store_check', `"store" IN ('software', 'pkcs11')`)
@Check('signing_keys_algorithm_check', `"algorithm" IN ('ec-p256', 'rsa-2048')`)
export class SigningKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  store!: KeyStoreKind;

  @Column({ type: 'varchar', length: 16 })
  algorithm!: KeyAlgorithm;

  @Column({ type: 'varchar', length: 100 })
  label!: string;

  /** Opaque to everyone but the store: AES-256-GCM ciphertext (software) or the object id (pkcs11). */
  @Column({ type: 'text' })
  handle!: string;

  @Column({ name: 'public_key_spki', type: 'bytea' })
  publicKeySpki!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * What every certified key has: the key in the store and the X.509 certificate of its public half.
 * (Column order in the table follows the migration, not this class.)
 */
abstract class CertifiedKeyColumns {
  @Column({ name: 'key_id', type: 'uuid' })
  keyId!: string;

  @ManyToOne(() => SigningKeyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'key_id' })
  key?: Relation<SigningKeyEntity>;

  @Column({ name: 'certificate_der', type: 'bytea' })
  certificateDer!: Buffer;

  @Column({ name: 'serial_hex', type: 'varchar', length: 64 })
  serialHex!: string;

  @Column({ name: 'not_before', type: 'timestamptz' })
  notBefore!: Date;

  @Column({ name: 'not_after', type: 'timestamptz' })
  notAfter!: Date;
}

/** A certified key whose certificate the district's issuing CA signed: a seal or a personal signature. */
abstract class IssuedKeyColumns extends CertifiedKeyColumns {
  @Column({ name: 'issuer_id', type: 'uuid' })
  issuerId!: string;

  @ManyToOne(() => CertificateAuthorityEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'issuer_id' })
  issuer?: Relation<CertificateAuthorityEntity>;
}

export type AuthorityKind = 'root' | 'issuing';

/** The district's certificate authorities: one root, one issuing CA under it. */
@Entity({ name: 'certificate_authorities' })
@Check('certificate_authorities_kind_check', `"kind" IN ('root', 'issuing')`)
@Index('certificate_authorities_active_kind_key', ['kind'], { unique: true, where: '"active"' })
export class CertificateAuthorityEntity extends CertifiedKeyColumns {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: AuthorityKind;

  @Column({ type: 'varchar', length: 200 })
  subject!: string;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const SEAL_STATUSES = ['active', 'suspended', 'revoked'] as const;
export type SealStatus = (typeof SEAL_STATUSES)[number];

export const SEAL_KINDS = ['committee', 'enterprise'] as const;
export type SealKind = (typeof SEAL_KINDS)[number];

/**
 * An electronic seal: its image is drawn from `name` and `code`; its key signs what it seals. A
 * committee's seal belongs to its organization; an enterprise's seal has no organization here (the
 * enterprises context links it to its enterprise).
 */
@Entity({ name: 'seals' })
@Check('seals_status_check', `"status" IN ('active', 'suspended', 'revoked')`)
@Check('seals_kind_check', `"kind" IN ('committee', 'enterprise')`)
@Check('seals_owner_check', `("kind" = 'committee') = ("organization_id" IS NOT NULL)`)
@Index('seals_organization_current_key', ['organizationId'], { unique: true, where: `"status" <> 'revoked'` })
export class SealEntity extends IssuedKeyColumns {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: SealKind;

  /**
   * 13 digits. A committee's seal: the committee's 12-digit code and the seal's generation. An
   * enterprise's: the district's code, 9 (no town's code starts with it) and a serial of six digits.
   */
  @Column({ type: 'varchar', length: 13, unique: true })
  code!: string;

  /** The committee (committee seals only). */
  @Column({ name: 'organization_id', type: 'uuid', nullable: true })
  organizationId!: string | null;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  /** The text along the seal's arc. */
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: SealStatus;

  @Column({ name: 'status_reason', type: 'varchar', length: 200, nullable: true })
  statusReason!: string | null;

  /** When the status last changed (the seal's creation for a seal never suspended or revoked). */
  @Column({ name: 'status_changed_at', type: 'timestamptz', nullable: true })
  statusChangedAt!: Date | null;

  /** The person who last changed the status; null for the platform itself. */
  @Column({ name: 'status_changed_by', type: 'uuid', nullable: true })
  statusChangedBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export const SEAL_STATUS_ACTIONS = ['create', 'suspend', 'reinstate', 'revoke'] as const;
export type SealStatusAction = (typeof SEAL_STATUS_ACTIONS)[number];

/**
 * A seal's status history, append-only: one row per change, so that the state at any moment (the
 * moment a document was signed) is the last row at or before it. The seal row holds the state now.
 */
@Entity({ name: 'seal_status_events' })
@Check('seal_status_events_status_check', `"status" IN ('active', 'suspended', 'revoked')`)
@Check('seal_status_events_action_check', `"action" IN ('create', 'suspend', 'reinstate', 'revoke')`)
@Index('seal_status_events_seal_time_idx', ['sealId', 'occurredAt'])
export class SealStatusEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'seal_id', type: 'uuid' })
  sealId!: string;

  @ManyToOne(() => SealEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'seal_id' })
  seal?: Relation<SealEntity>;

  @Column({ type: 'varchar', length: 16 })
  action!: SealStatusAction;

  /** The status from this event on. */
  @Column({ type: 'varchar', length: 16 })
  status!: SealStatus;

  @Column({ type: 'varchar', length: 200, nullable: true })
  reason!: string | null;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}

/**
 * Every certificate a seal has had: the current one (also on the seal row, `replacedAt` null) and
 * those that renewal or key rotation replaced. A replaced certificate stays valid for what it signed
 * unless it is revoked, so old documents keep verifying.
 */
@Entity({ name: 'seal_certificates' })
@Index('seal_certificates_seal_idx', ['sealId', 'notBefore'])
@Index('seal_certificates_issuer_serial_key', ['issuerId', 'serialHex'], { unique: true })
export class SealCertificateEntity extends IssuedKeyColumns {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'seal_id', type: 'uuid' })
  sealId!: string;

  @ManyToOne(() => SealEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'seal_id' })
  seal?: Relation<SealEntity>;

  @Column({ name: 'replaced_at', type: 'timestamptz', nullable: true })
  replacedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** RFC 5280 §5.3.1 CRLReason codes (7 is unused). */
export const CRL_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
} as const;
export type CrlReason = keyof typeof CRL_REASONS;

/**
 * A certificate its CA has revoked (or put on hold): what the CA's CRL lists. Any certificate the
 * district's CAs issued may be here, whoever holds it; entries past the certificate's expiry are
 * no longer listed. A hold (`certificateHold`) is removed again when its seal is reinstated.
 */
@Entity({ name: 'revoked_certificates' })
@Index('revoked_certificates_issuer_serial_key', ['issuerId', 'serialHex'], { unique: true })
export class RevokedCertificateEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'issuer_id', type: 'uuid' })
  issuerId!: string;

  @ManyToOne(() => CertificateAuthorityEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'issuer_id' })
  issuer?: Relation<CertificateAuthorityEntity>;

  @Column({ name: 'serial_hex', type: 'varchar', length: 64 })
  serialHex!: string;

  @Column({ type: 'varchar', length: 32 })
  reason!: CrlReason;

  @Column({ name: 'revoked_at', type: 'timestamptz' })
  revokedAt!: Date;

  /** The revoked certificate's own expiry: after it the entry may leave the CRL (RFC 5280 §3.3). */
  @Column({ name: 'certificate_not_after', type: 'timestamptz' })
  certificateNotAfter!: Date;
}

/**
 * The CRLs a CA has published, numbered without gaps (the cRLNumber extension); the newest is served.
 */
@Entity({ name: 'certificate_revocation_lists' })
@Index('certificate_revocation_lists_issuer_number_key', ['issuerId', 'crlNumber'], { unique: true })
export class CertificateRevocationListEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'issuer_id', type: 'uuid' })
  issuerId!: string;

  @ManyToOne(() => CertificateAuthorityEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'issuer_id' })
  issuer?: Relation<CertificateAuthorityEntity>;

  /** A bigint: PostgreSQL hands it back as a string. */
  @Column({ name: 'crl_number', type: 'bigint' })
  crlNumber!: string;

  @Column({ name: 'this_update', type: 'timestamptz' })
  thisUpdate!: Date;

  @Column({ name: 'next_update', type: 'timestamptz' })
  nextUpdate!: Date;

  @Column({ type: 'bytea' })
  der!: Buffer;
}

/** An approver's personal signing certificate (个人电子签名), issued on their first approval. */
@Entity({ name: 'personal_signing_certificates' })
@Index('personal_signing_certificates_person_active_key', ['personId'], { unique: true, where: '"active"' })
export class PersonalSigningCertificateEntity extends IssuedKeyColumns {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'person_id', type: 'uuid' })
  personId!: string;

  @ManyToOne(() => PersonEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'person_id' })
  person?: Relation<PersonEntity>;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
