import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, Not, type EntityManager } from 'typeorm';
import { OrganizationEntity } from './organization.entity';
import { OrganizationErrorCode, OrganizationException } from './organization.exception';
import { parseCommitteeRegistry } from './committee-registry';

export interface DistrictTree {
  district: { code: string; name: string };
  towns: { code: string; name: string; kind: 'town' | 'subdistrict' }[];
}

export interface RegistryImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  total: number;
}

/**
 * Keeps the organization tree in line with the district's registry. The district and its towns are
 * fixed reference data; the committees come from the registry CSV, replaced as a whole.
 */
@Injectable()
export class OrganizationRegistryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Creates or renames the district and its towns; idempotent. */
  async ensureDistrict(tree: DistrictTree): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const district = await this.upsert(manager, {
        code: tree.district.code,
        name: tree.district.name,
        level: 'district',
        kind: 'district',
        parentId: null,
      });
      for (const town of tree.towns) {
        await this.upsert(manager, {
          code: town.code,
          name: town.name,
          level: 'town',
          kind: town.kind,
          parentId: district.entity.id,
        });
      }
    });
  }

  async hasCommittees(): Promise<boolean> {
    return (await this.dataSource.getRepository(OrganizationEntity).count({ where: { level: 'committee' } })) > 0;
  }

  /**
   * Replaces the committee list with the registry file. Nothing is written unless every row is
   * valid; committees missing from the file are deactivated (their history keeps pointing at them).
   */
  async importCommittees(csv: string): Promise<RegistryImportSummary> {
    return this.dataSource.transaction(async (manager) => {
      // One import at a time: a second one waits rather than interleaving its rows with ours.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('organizations:registry-import'))`);
      const towns = await manager.getRepository(OrganizationEntity).find({ where: { level: 'town' } });
      const parsed = parseCommitteeRegistry(csv, towns);
      if (!parsed.ok) {
        throw new OrganizationException(OrganizationErrorCode.ImportInvalid, {
          problems: parsed.problems,
        });
      }
      const townId = new Map(towns.map((t) => [t.code, t.id]));
      const summary: RegistryImportSummary = {
        created: 0,
        updated: 0,
        unchanged: 0,
        deactivated: 0,
        total: 0,
      };
      for (const committee of parsed.committees) {
        const result = await this.upsert(manager, {
          code: committee.code,
          name: committee.name,
          level: 'committee',
          kind: committee.kind,
          parentId: townId.get(committee.townCode) ?? null,
        });
        summary[result.outcome] += 1;
      }
      const deactivated = await manager.getRepository(OrganizationEntity).update(
        {
          level: 'committee',
          active: true,
          code: Not(In(parsed.committees.map((c) => c.code))),
        },
        { active: false },
      );
      summary.deactivated = deactivated.affected ?? 0;
      summary.total = parsed.committees.length;
      return summary;
    });
  }

  private async upsert(
    manager: EntityManager,
    values: Pick<OrganizationEntity, 'code' | 'name' | 'level' | 'kind' | 'parentId'>,
  ): Promise<{
    entity: OrganizationEntity;
    outcome: 'created' | 'updated' | 'unchanged';
  }> {
    const repository = manager.getRepository(OrganizationEntity);
    const existing = await repository.findOne({ where: { code: values.code } });
    if (!existing) {
      const entity = await repository.save(repository.create({ ...values, active: true }));
      return { entity, outcome: 'created' };
    }
    const same =
      existing.name === values.name &&
      existing.level === values.level &&
      existing.kind === values.kind &&
      existing.parentId === values.parentId &&
      existing.active;
    if (same) return { entity: existing, outcome: 'unchanged' };
    Object.assign(existing, values, { active: true });
    return { entity: await repository.save(existing), outcome: 'updated' };
  }
}
