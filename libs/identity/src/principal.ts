import type { OrganizationLevel } from '@zhengming/organizations';
import { StaffRole } from './roles';
import type { VerifierSector } from './verifier-institution.entity';

export interface OrganizationRef {
  id: string;
  code: string;
  name: string;
  level: OrganizationLevel;
  parentId: string | null;
}

export interface RoleGrant {
  id: string;
  role: StaffRole;
  organization: OrganizationRef & { parent: { code: string; name: string } | null };
}

/** Who is calling: set on the request by the access guard, read by services for object-level checks. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'person'; personId: string; sessionId: string; roles: readonly RoleGrant[] }
  | { kind: 'institution'; institutionId: string; keyId: string; sector: VerifierSector }
  /** An enterprise's own system, by the enterprise's API key: it may only use that enterprise's seals. */
  | { kind: 'enterprise'; enterpriseId: string; keyId: string };

export type PersonPrincipal = Extract<Principal, { kind: 'person' }>;

export function hasRole(principal: Principal, roles: readonly StaffRole[]): boolean {
  return principal.kind === 'person' && principal.roles.some((grant) => roles.includes(grant.role));
}

/**
 * Whether the caller holds one of `roles` at a place that reaches `organization`: the district admin
 * reaches everything, a town supervisor the town and its committees, a clerk or approver their own
 * committee only.
 */
export function reaches(
  principal: Principal,
  organization: { id: string; parentId: string | null },
  roles: readonly StaffRole[],
): boolean {
  if (principal.kind !== 'person') return false;
  return principal.roles.some((grant) => {
    if (!roles.includes(grant.role)) return false;
    switch (grant.role) {
      case StaffRole.Admin:
        return true;
      case StaffRole.Supervisor:
        return grant.organization.id === organization.id || grant.organization.id === organization.parentId;
      case StaffRole.Clerk:
      case StaffRole.Approver:
        return grant.organization.id === organization.id;
    }
  });
}
