import { isDeepStrictEqual } from 'node:util';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { ValidateFunction } from 'ajv';
import { CertificateTypeEntity, CertificateTypeVersionEntity } from './certificate-type.entity';
import { CertificateTypeErrorCode, CertificateTypeException } from './certificate-type.exception';
import {
  createAjv,
  toProblems,
  validateDefinition,
  type CertificateTypeDefinition,
} from './certificate-type-definition';

export interface ActiveCertificateType {
  code: string;
  version: CertificateTypeVersionEntity;
}

export type PublishOutcome = 'created' | 'new-version' | 'unchanged';

const DEFINITION_FIELDS = [
  'name',
  'nameEn',
  'description',
  'issuingLevel',
  'committeeBasis',
  'validityDays',
  'timeLimitWorkingDays',
  'integrations',
  'formSchema',
  'materials',
  'numberCode',
  'template',
] as const satisfies readonly (keyof CertificateTypeDefinition & keyof CertificateTypeVersionEntity)[];

@Injectable()
export class CertificateTypesService {
  /** Compiled form validators by version id: a version never changes, so they never go stale. */
  private readonly formValidators = new Map<string, ValidateFunction>();
  private readonly versions = new Map<string, CertificateTypeVersionEntity>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async listActive(): Promise<ActiveCertificateType[]> {
    const rows = await this.dataSource
      .getRepository(CertificateTypeVersionEntity)
      .createQueryBuilder('v')
      .innerJoin(CertificateTypeEntity, 't', 't.id = v.type_id AND t.active_version = v.version')
      .addSelect('t.code', 't_code')
      .orderBy('t.code', 'ASC')
      .getRawAndEntities();
    return rows.entities.map((version, i) => ({
      code: String(rows.raw[i].t_code),
      version,
    }));
  }

  async getActive(code: string): Promise<ActiveCertificateType> {
    const type = await this.dataSource.getRepository(CertificateTypeEntity).findOne({ where: { code } });
    if (!type)
      throw new CertificateTypeException(CertificateTypeErrorCode.NotFound, {
        code,
      });
    const version = await this.dataSource.getRepository(CertificateTypeVersionEntity).findOneOrFail({
      where: { typeId: type.id, version: type.activeVersion },
    });
    return { code, version };
  }

  /**
   * Publishes a definition. A new type starts at version 1; a changed definition becomes the next
   * version and the active one; an unchanged one is left alone, so seeding is idempotent.
   */
  async publish(definition: CertificateTypeDefinition): Promise<{ outcome: PublishOutcome; version: number }> {
    const problems = validateDefinition(definition);
    if (problems.length > 0) {
      throw new CertificateTypeException(CertificateTypeErrorCode.DefinitionInvalid, {
        code: (definition as { code?: unknown }).code,
        problems,
      });
    }
    return this.dataSource.transaction(async (manager) => {
      const types = manager.getRepository(CertificateTypeEntity);
      const versions = manager.getRepository(CertificateTypeVersionEntity);
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`certificate-type:${definition.code}`]);
      let type = await types.findOne({ where: { code: definition.code } });
      let next = 1;
      if (type) {
        const active = await versions.findOneOrFail({
          where: { typeId: type.id, version: type.activeVersion },
        });
        if (DEFINITION_FIELDS.every((field) => sameJson(active[field], definition[field]))) {
          return { outcome: 'unchanged' as const, version: active.version };
        }
        const latest = await versions.maximum('version', { typeId: type.id });
        next = (latest ?? 0) + 1;
      } else {
        type = await types.save(types.create({ code: definition.code, activeVersion: 1 }));
      }
      const fields = Object.fromEntries(DEFINITION_FIELDS.map((f) => [f, definition[f]]));
      await versions.save(versions.create({ ...fields, typeId: type.id, version: next }));
      await types.update({ id: type.id }, { activeVersion: next });
      return {
        outcome: next === 1 ? ('created' as const) : ('new-version' as const),
        version: next,
      };
    });
  }

  /**
   * Validates a filled-in form against the exact version the application was made with. A draft
   * may leave required fields empty, but whatever it holds must already be valid.
   */
  validateForm(version: CertificateTypeVersionEntity, form: unknown, options: { draft?: boolean } = {}): void {
    const cacheKey = options.draft ? `${version.id}:draft` : version.id;
    let validate = this.formValidators.get(cacheKey);
    if (!validate) {
      validate = createAjv().compile(options.draft ? { ...version.formSchema, required: [] } : version.formSchema);
      this.formValidators.set(cacheKey, validate);
    }
    if (!validate(form)) {
      throw new CertificateTypeException(CertificateTypeErrorCode.FormInvalid, {
        problems: toProblems(validate.errors),
      });
    }
  }

  /** A version by id. Versions never change once published, so each is read once per process. */
  async version(id: string, manager: EntityManager = this.dataSource.manager): Promise<CertificateTypeVersionEntity> {
    const cached = this.versions.get(id);
    if (cached) return cached;
    const version = await manager.getRepository(CertificateTypeVersionEntity).findOneByOrFail({ id });
    this.versions.set(id, version);
    return version;
  }
}

/** Equal as JSON values (key order aside), whichever realm or driver built the objects. */
function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}
