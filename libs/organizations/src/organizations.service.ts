import { Injectable } from '@nestjs/common';
import { OrganizationsRepository } from './organizations.repository';
import { OrganizationErrorCode, OrganizationException } from './organization.exception';
import {
  LEVEL_OF_KIND,
  ORGANIZATION_LEVELS,
  type OrganizationFilter,
  type OrganizationKind,
  type OrganizationLevel,
} from './organization';
import type { OrganizationEntity } from './organization.entity';

export interface OrganizationQuery {
  parentCode?: string;
  kind?: OrganizationFilter;
  q?: string;
  page: number;
  pageSize: number;
}

export interface OrganizationPage {
  items: OrganizationEntity[];
  total: number;
  page: number;
  pageSize: number;
}

@Injectable()
export class OrganizationsService {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async list(query: OrganizationQuery): Promise<OrganizationPage> {
    let parentId: string | undefined;
    if (query.parentCode) {
      const parent = await this.organizations.findByCode(query.parentCode);
      if (!parent || !parent.active) {
        throw new OrganizationException(OrganizationErrorCode.NotFound, {
          parent: query.parentCode,
        });
      }
      parentId = parent.id;
    }
    const isLevel = (ORGANIZATION_LEVELS as readonly string[]).includes(query.kind ?? '');
    const level = isLevel ? (query.kind as OrganizationLevel) : undefined;
    const kind = !isLevel && query.kind ? (query.kind as OrganizationKind) : undefined;
    const [items, total] = await this.organizations.search({
      parentId,
      level: level ?? (kind ? LEVEL_OF_KIND[kind] : undefined),
      kind,
      q: query.q,
      offset: (query.page - 1) * query.pageSize,
      limit: query.pageSize,
    });
    return { items, total, page: query.page, pageSize: query.pageSize };
  }

  async getByCode(code: string): Promise<OrganizationEntity> {
    const organization = await this.organizations.findByCode(code);
    if (!organization || !organization.active) {
      throw new OrganizationException(OrganizationErrorCode.NotFound, { code });
    }
    return organization;
  }

  /**
   * The committees an address names: a committee matches when its short name (城南社区, 石滩村)
   * appears in the address; when the address also names a town, committees of other towns drop out.
   * Residents confirm the pick, so several candidates are returned rather than a guess.
   */
  async lookupCommitteesByAddress(address: string): Promise<OrganizationEntity[]> {
    const text = address.replace(/\s+/g, '');
    if (text.length < 2) return [];
    const committees = await this.organizations.activeCommittees();
    const matches = committees.filter((c) => text.includes(shortCommitteeName(c.name)));
    const inNamedTown = matches.filter((c) => c.parent && text.includes(c.parent.name));
    return (inNamedTown.length > 0 ? inNamedTown : matches).slice(0, 10);
  }
}

/** 城南社区居民委员会 → 城南社区, 廖村村民委员会 → 廖村, 石滩村民委员会 → 石滩村. */
export function shortCommitteeName(name: string): string {
  const village = /^(.+?)(村民委员会|村委会)$/.exec(name);
  if (village) return village[1].endsWith('村') ? village[1] : `${village[1]}村`;
  return name.replace(/(居民委员会|居委会|委员会)$/, '');
}
