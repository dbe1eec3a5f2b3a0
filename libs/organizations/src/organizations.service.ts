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
}
