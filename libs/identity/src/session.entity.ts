import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { PersonEntity } from './person.entity';

/**
 * A signed-in session: an opaque short-lived access token and a rotating refresh token, both stored
 * only as SHA-256 hashes. Refreshing replaces both; presenting a refresh token that was already
 * rotated away revokes the session (it has been copied).
 */
@Entity({ name: 'sessions' })
@Index('sessions_person_idx', ['personId'])
export class SessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'person_id', type: 'uuid' })
  personId!: string;

  @ManyToOne(() => PersonEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'person_id' })
  person?: Relation<PersonEntity>;

  @Column({ name: 'access_token_hash', type: 'char', length: 64, unique: true })
  accessTokenHash!: string;

  @Column({ name: 'access_expires_at', type: 'timestamptz' })
  accessExpiresAt!: Date;

  @Column({ name: 'refresh_token_hash', type: 'char', length: 64, unique: true })
  refreshTokenHash!: string;

  /** The refresh token this one replaced; seeing it again means the session was stolen. */
  @Column({ name: 'previous_refresh_token_hash', type: 'char', length: 64, nullable: true })
  @Index('sessions_previous_refresh_idx')
  previousRefreshTokenHash!: string | null;

  @Column({ name: 'refresh_expires_at', type: 'timestamptz' })
  refreshExpiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason!: string | null;
}
