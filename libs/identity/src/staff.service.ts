import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { AuditLog } from '@zhengming/audit';
import { Clock } from '@zhengming/clock';
import { OrganizationEntity, OrganizationErrorCode, OrganizationException } from '@zhengming/organizations';
import { StaffRoleEntity } from './staff-role.entity';
import { PersonEntity } from './person.entity';
import { PeopleService, type MaskedPerson } from './people.service';
import { IdentityErrorCode, IdentityException } from './identity.exception';
import { reaches, type Principal, type PersonPrincipal, type RoleGrant } from './principal';
import { ROLE_LEVEL, ROLE_NAMES, STAFF_ROLES, type StaffRole } from './roles';

export interface StaffGrantInput {
  name: string;
  idNumber: string;
  role: StaffRole;
  organizationCode: string;
}

export interface StaffMember {
  grantId: string;
  role: StaffRole;
  roleName: string;
  grantedAt: Date;
  person: MaskedPerson;
}

@Injectable()
export class StaffService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly people: PeopleService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** The roles a person holds now, each with its organization and that organization's parent. */
  async rolesOf(personId: string): Promise<RoleGrant[]> {
    const rows = (await this.dataSource.query(
      `SELECT r.id, r.role, o.id AS org_id, o.code AS org_code, o.name AS org_name, o.level AS org_level,
              o.parent_id AS org_parent_id, p.code AS parent_code, p.name AS parent_name
         FROM staff_roles r
         JOIN organizations o ON o.id = r.organization_id
         LEFT JOIN organizations p ON p.id = o.parent_id
        WHERE r.person_id = $1 AND r.revoked_at IS NULL AND o.active
        ORDER BY r.granted_at`,
      [personId],
    )) as Record<string, string | null>[];
    return rows.map((row) => ({
      id: row.id!,
      role: row.role as StaffRole,
      organization: {
        id: row.org_id!,
        code: row.org_code!,
        name: row.org_name!,
        level: row.org_level as RoleGrant['organization']['level'],
        parentId: row.org_parent_id,
        parent: row.parent_code ? { code: row.parent_code, name: row.parent_name! } : null,
      },
    }));
  }

  /**
   * Grants a role, registering the person by ID number if they have never signed in. Used by the
   * district admin's API and by the seed; `actor` is null for the seed.
   */
  async grant(input: StaffGrantInput, actor: PersonPrincipal | null, requestId?: string): Promise<StaffRoleEntity> {
    return this.dataSource.transaction(async (manager) => {
      const organization = await this.organization(input.organizationCode, manager);
      if (ROLE_LEVEL[input.role] !== organization.level) {
        throw new IdentityException(IdentityErrorCode.StaffRoleLevelMismatch, {
          role: input.role,
          requiredLevel: ROLE_LEVEL[input.role],
          organizationLevel: organization.level,
        });
      }
      const person = await this.people.register({ name: input.name, idNumber: input.idNumber }, manager);
      const existing = await manager.findOneBy(StaffRoleEntity, {
        personId: person.id,
        role: input.role,
        organizationId: organization.id,
        revokedAt: IsNull(),
      });
      if (existing) throw new IdentityException(IdentityErrorCode.StaffRoleExists, { grantId: existing.id });
      const grant = await manager.save(
        StaffRoleEntity,
        manager.create(StaffRoleEntity, {
          personId: person.id,
          role: input.role,
          organizationId: organization.id,
          grantedBy: actor?.personId ?? null,
          grantedAt: this.clock.now(),
        }),
      );
      await this.audit.append(
        {
          actor: actor ? { type: 'person', id: actor.personId } : { type: 'system' },
          action: 'staff.grant',
          object: { type: 'staff_role', id: grant.id },
          organizationId: organization.id,
          requestId,
          details: { role: input.role, personId: person.id, organizationCode: organization.code },
        },
        manager,
      );
      return grant;
    });
  }

  async revoke(grantId: string, actor: PersonPrincipal, requestId?: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const grant = await manager
        .getRepository(StaffRoleEntity)
        .createQueryBuilder('r')
        .setLock('pessimistic_write')
        .where('r.id = :id AND r.revoked_at IS NULL', { id: grantId })
        .getOne();
      if (!grant) throw new IdentityException(IdentityErrorCode.StaffRoleNotFound);
      await manager.update(
        StaffRoleEntity,
        { id: grant.id },
        { revokedAt: this.clock.now(), revokedBy: actor.personId },
      );
      await this.audit.append(
        {
          actor: { type: 'person', id: actor.personId },
          action: 'staff.revoke',
          object: { type: 'staff_role', id: grant.id },
          organizationId: grant.organizationId,
          requestId,
          details: { role: grant.role, personId: grant.personId },
        },
        manager,
      );
    });
  }

  /** The staff of an organization, for callers whose roles reach it; everyone else gets 403. */
  async listForOrganization(code: string, principal: Principal): Promise<StaffMember[]> {
    const organization = await this.organization(code, this.dataSource.manager);
    if (!reaches(principal, organization, STAFF_ROLES)) {
      throw new IdentityException(IdentityErrorCode.OutOfScope);
    }
    const grants = await this.dataSource.getRepository(StaffRoleEntity).find({
      where: { organizationId: organization.id, revokedAt: IsNull() },
      relations: { person: true },
      order: { grantedAt: 'ASC' },
    });
    return grants.map((grant) => ({
      grantId: grant.id,
      role: grant.role,
      roleName: ROLE_NAMES[grant.role],
      grantedAt: grant.grantedAt,
      person: this.people.masked(grant.person as PersonEntity),
    }));
  }

  private async organization(code: string, manager: EntityManager): Promise<OrganizationEntity> {
    const organization = await manager.findOneBy(OrganizationEntity, { code, active: true });
    if (!organization) throw new OrganizationException(OrganizationErrorCode.NotFound, { code });
    return organization;
  }
}
