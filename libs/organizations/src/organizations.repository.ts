import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository } from 'typeorm';
import { OrganizationEntity } from './organization.entity';
import type { OrganizationKind, OrganizationLevel } from './organization';

export interface OrganizationSearch {
  parentId?: string;
  level?: OrganizationLevel;
  kind?: OrganizationKind;
  q?: string;
  offset: number;
  limit: number;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

@Injectable()
export class OrganizationsRepository {
  constructor(
    @InjectRepository(OrganizationEntity)
    private readonly repository: Repository<OrganizationEntity>,
  ) {}

  findByCode(code: string): Promise<OrganizationEntity | null> {
    return this.repository.findOne({ where: { code } });
  }

  /** Every active committee with its town: the 366 rows the address lookup matches against. */
  activeCommittees(): Promise<OrganizationEntity[]> {
    return this.repository
      .createQueryBuilder('o')
      .leftJoinAndSelect('o.parent', 'parent')
      .where('o.active = true')
      .andWhere("o.level = 'committee'")
      .orderBy('o.code', 'ASC')
      .getMany();
  }

  /** Active organizations matching the filters, ordered by code, with the total count for paging. */
  search(filter: OrganizationSearch): Promise<[OrganizationEntity[], number]> {
    const query = this.repository
      .createQueryBuilder('o')
      .leftJoinAndSelect('o.parent', 'parent')
      .where('o.active = true');
    if (filter.parentId) query.andWhere('o.parent_id = :parentId', { parentId: filter.parentId });
    if (filter.level) query.andWhere('o.level = :level', { level: filter.level });
    if (filter.kind) query.andWhere('o.kind = :kind', { kind: filter.kind });
    if (filter.q) {
      const pattern = `%${escapeLike(filter.q)}%`;
      query.andWhere(
        new Brackets((w) =>
          w.where('o.name ILIKE :pattern', { pattern }).orWhere('o.code LIKE :prefix', {
            prefix: `${escapeLike(filter.q ?? '')}%`,
          }),
        ),
      );
    }
    // offset/limit rather than skip/take: the only join is many-to-one, so rows cannot multiply,
    // and TypeORM's skip/take would add a DISTINCT sub-query per page.
    return Promise.all([
      query.clone().orderBy('o.code', 'ASC').offset(filter.offset).limit(filter.limit).getMany(),
      query.getCount(),
    ]);
  }
}
