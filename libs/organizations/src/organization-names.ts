import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { OrganizationErrorCode, OrganizationException } from './organization.exception';

export interface OrganizationName {
  id: string;
  code: string;
  name: string;
  /** The town's name, for a committee: certificates name a committee after its town. */
  parentName: string | null;
}

/** How long a name is kept: organizations are renamed only by a registry import. */
const NAMES_TTL_MS = 5 * 60_000;

/**
 * Organizations' names and codes by id, kept for a few minutes: every certificate issued and every
 * verification shows its committee's. Joining `organizations` into the verification lookup had
 * PostgreSQL hash all 380 of them for each batch of a few certificates, half the lookup's cost (0.144
 * against 0.082 ms a query).
 */
@Injectable()
export class OrganizationNames {
  private readonly kept = new Map<string, { name: OrganizationName; until: number }>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The names of those of `ids` that exist; one query for all that are not kept. A caller inside a
   * transaction passes its manager: on the embedded database the transaction holds the one connection.
   */
  async of(
    ids: Iterable<string>,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Map<string, OrganizationName>> {
    const now = Date.now();
    const found = new Map<string, OrganizationName>();
    const missing = new Set<string>();
    for (const id of ids) {
      const entry = this.kept.get(id);
      if (entry && entry.until > now) found.set(id, entry.name);
      else missing.add(id);
    }
    if (missing.size === 0) return found;
    const rows: { id: string; code: string; name: string; parent_name: string | null }[] = await manager.query(
      `SELECT o.id, o.code, o.name, p.name AS parent_name
         FROM organizations o LEFT JOIN organizations p ON p.id = o.parent_id
        WHERE o.id = ANY($1::uuid[])`,
      [[...missing]],
    );
    for (const row of rows) {
      const name = { id: row.id, code: row.code, name: row.name, parentName: row.parent_name };
      this.kept.set(row.id, { name, until: now + NAMES_TTL_MS });
      found.set(row.id, name);
    }
    return found;
  }

  /** The name of one organization that must exist: ORGANIZATION_NOT_FOUND otherwise. */
  async one(id: string, manager?: EntityManager): Promise<OrganizationName> {
    const name = (await this.of([id], manager)).get(id);
    if (!name) throw new OrganizationException(OrganizationErrorCode.NotFound, { organizationId: id });
    return name;
  }
}
