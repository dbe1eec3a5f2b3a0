/** The district's administrative tree: district (区) → towns and subdistricts (镇/街道) → committees (村/居委会). */
export const ORGANIZATION_LEVELS = ['district', 'town', 'committee'] as const;
export type OrganizationLevel = (typeof ORGANIZATION_LEVELS)[number];

export const ORGANIZATION_KINDS = ['district', 'subdistrict', 'town', 'village', 'community'] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

export const COMMITTEE_KINDS = ['village', 'community'] as const satisfies readonly OrganizationKind[];
export type CommitteeKind = (typeof COMMITTEE_KINDS)[number];

export const LEVEL_OF_KIND: Readonly<Record<OrganizationKind, OrganizationLevel>> = {
  district: 'district',
  subdistrict: 'town',
  town: 'town',
  village: 'committee',
  community: 'committee',
};

/**
 * Codes follow the national statistical area codes (统计用区划代码): 6 digits for the district,
 * 9 for a town or subdistrict, 12 for a village or community committee.
 */
export const CODE_LENGTH_OF_LEVEL: Readonly<Record<OrganizationLevel, number>> = {
  district: 6,
  town: 9,
  committee: 12,
};

export const ORGANIZATION_CODE_PATTERN = /^\d{6}(\d{3}){0,2}$/;

/** What the API filter `kind` accepts: a level (district, town, committee) or an exact kind. */
export const ORGANIZATION_FILTERS = [
  ...new Set<string>([...ORGANIZATION_LEVELS, ...ORGANIZATION_KINDS]),
] as readonly string[];
export type OrganizationFilter = OrganizationLevel | OrganizationKind;
