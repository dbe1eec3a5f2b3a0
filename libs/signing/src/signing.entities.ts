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

/** An electronic seal: its image is drawn from `name` and `code`; its key signs what it seals. */
@Entity({ name: 'seals' })
@Check('seals_status_check', `"status" IN ('active', 'suspended', 'revoked')`)
@Check('seals_kind_check', `"kind" IN ('committee')`)
@Index('seals_organization_current_key', ['organizationId'], { unique: true, where: `"status" <> 'revoked'` })
export class SealEntity extends IssuedKeyColumns {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: 'committee';

  /** 13 digits: the committee's 12-digit code and the seal's generation. */
  @Column({ type: 'varchar', length: 13, unique: true })
  code!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
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
