import { OrganizationEntity } from '@zhengming/organizations';
import { CertificateTypeEntity, CertificateTypeVersionEntity } from '@zhengming/certificate-types';
import type { SchemaParts } from '@zhengming/database';
import { migrations } from './migrations';

/** Every entity and migration of the system: the API, the worker, the CLI and the tests share it. */
export const schema: SchemaParts = {
  entities: [OrganizationEntity, CertificateTypeEntity, CertificateTypeVersionEntity],
  migrations,
};
