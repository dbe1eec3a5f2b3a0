import type { OrganizationLevel } from '@zhengming/organizations';

/** Staff roles; each is held at one organization and reaches that organization's subtree as listed. */
export enum StaffRole {
  Clerk = 'clerk',
  Approver = 'approver',
  Supervisor = 'supervisor',
  Admin = 'admin',
}

export const STAFF_ROLES = Object.values(StaffRole);

export const ROLE_NAMES: Readonly<Record<StaffRole, string>> = {
  [StaffRole.Clerk]: '经办人',
  [StaffRole.Approver]: '审批人',
  [StaffRole.Supervisor]: '镇街监管员',
  [StaffRole.Admin]: '区级管理员',
};

/** The level of organization a role is held at: a clerk at a committee, a supervisor at a town… */
export const ROLE_LEVEL: Readonly<Record<StaffRole, OrganizationLevel>> = {
  [StaffRole.Clerk]: 'committee',
  [StaffRole.Approver]: 'committee',
  [StaffRole.Supervisor]: 'town',
  [StaffRole.Admin]: 'district',
};

export const LEVEL_NAMES: Readonly<Record<OrganizationLevel, string>> = {
  district: '区',
  town: '镇（街道）',
  committee: '村（居）委会',
};
