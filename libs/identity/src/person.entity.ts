import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A real-name person as the identity platform vouches for them: residents and staff alike. The ID
 * and phone numbers are stored only encrypted (see @zhengming/pii) with a keyed hash beside each for
 * exact lookup. Staff are registered by ID number before their first login; the first login links
 * the platform's subject to the row.
 */
@Entity({ name: 'people' })
@Index('people_oidc_subject_key', ['oidcIssuer', 'oidcSubject'], { unique: true })
@Index('people_phone_hash_idx', ['phoneHash'])
export class PersonEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'oidc_issuer', type: 'varchar', length: 255, nullable: true })
  oidcIssuer!: string | null;

  @Column({ name: 'oidc_subject', type: 'varchar', length: 255, nullable: true })
  oidcSubject!: string | null;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ name: 'id_number_enc', type: 'text' })
  idNumberEncrypted!: string;

  @Column({ name: 'id_number_hash', type: 'char', length: 64, unique: true })
  idNumberHash!: string;

  @Column({ name: 'phone_enc', type: 'text', nullable: true })
  phoneEncrypted!: string | null;

  @Column({ name: 'phone_hash', type: 'char', length: 64, nullable: true })
  phoneHash!: string | null;

  /** The platform's real-name assurance level (1 lowest … 4 highest); 0 until the person first logs in. */
  @Column({ name: 'assurance_level', type: 'smallint', default: 0 })
  assuranceLevel!: number;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
