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
import { OrganizationEntity } from '@zhengming/organizations';
import { PersonEntity } from './person.entity';
import type { StaffRole } from './roles';

/** A role a person holds at one organization. Revoked grants stay, with the time and who revoked them. */
@Entity({ name: 'staff_roles' })
@Check('staff_roles_role_check', `"role" IN ('clerk', 'approver', 'supervisor', 'admin')`)
@Index('staff_roles_active_key', ['personId', 'role', 'organizationId'], {
  unique: true,
  where: '"revoked_at" IS NULL',
})
@Index('staff_roles_organization_idx', ['organizationId'])
export class StaffRoleEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'person_id', type: 'uuid' })
  personId!: string;

  @ManyToOne(() => PersonEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'person_id' })
  person?: Relation<PersonEntity>;

  @Column({ type: 'varchar', length: 16 })
  role!: StaffRole;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  @Column({ name: 'granted_by', type: 'uuid', nullable: true })
  grantedBy!: string | null;

  @CreateDateColumn({ name: 'granted_at', type: 'timestamptz' })
  grantedAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'uuid', nullable: true })
  revokedBy!: string | null;
}
