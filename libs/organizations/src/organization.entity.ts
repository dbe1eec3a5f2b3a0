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
import type { OrganizationKind, OrganizationLevel } from './organization';

@Entity({ name: 'organizations' })
@Check('organizations_level_check', `"level" IN ('district', 'town', 'committee')`)
@Check('organizations_kind_check', `"kind" IN ('district', 'subdistrict', 'town', 'village', 'community')`)
@Index('organizations_parent_idx', ['parentId'])
@Index('organizations_level_kind_idx', ['level', 'kind'])
export class OrganizationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 12, unique: true })
  code!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  level!: OrganizationLevel;

  @Column({ type: 'varchar', length: 16 })
  kind!: OrganizationKind;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  @ManyToOne(() => OrganizationEntity, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'parent_id' })
  parent?: Relation<OrganizationEntity> | null;

  /** A committee absent from the latest registry import is deactivated, never deleted: records refer to it. */
  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
