import { OrganizationEntity } from '@zhengming/organizations';
import { CertificateTypeEntity, CertificateTypeVersionEntity } from '@zhengming/certificate-types';
import { AuditEventEntity } from '@zhengming/audit';
import {
  LoginRequestEntity,
  PersonEntity,
  SessionEntity,
  StaffRoleEntity,
  VerifierApiKeyEntity,
  VerifierInstitutionEntity,
} from '@zhengming/identity';
import {
  ApplicationEntity,
  ApplicationEventEntity,
  ApplicationMaterialEntity,
  ApplicationRoundEntity,
  CalendarDayEntity,
  IdempotencyKeyEntity,
  SupplementRequestEntity,
} from '@zhengming/applications';
import { NotificationEntity } from '@zhengming/notifications';
import { OutboxMessageEntity } from '@zhengming/outbox';
import {
  CertificateAuthorityEntity,
  CertificateRevocationListEntity,
  PersonalSigningCertificateEntity,
  RevokedCertificateEntity,
  SealCertificateEntity,
  SealEntity,
  SealStatusEventEntity,
  SigningKeyEntity,
} from '@zhengming/signing';
import { CertificateEntity, CertificateSerialEntity } from '@zhengming/certificates';
import { PresentationKeyEntity, VerificationEntity } from '@zhengming/verification';
import { PowerGridDeliveryEntity } from '@zhengming/power-grid';
import { REPORT_ENTITIES } from '@zhengming/reports';
import {
  EnterpriseApiKeyEntity,
  EnterpriseEntity,
  EnterpriseSealApplicationEntity,
  EnterpriseSealEntity,
  EnterpriseSealUseEntity,
  EnterpriseSealUserEntity,
} from '@zhengming/enterprises';
import type { SchemaParts } from '@zhengming/database';
import { migrations } from './migrations';

/** Every entity and migration of the system: the API, the worker, the CLI and the tests share it. */
export const schema: SchemaParts = {
  entities: [
    OrganizationEntity,
    CertificateTypeEntity,
    CertificateTypeVersionEntity,
    AuditEventEntity,
    PersonEntity,
    StaffRoleEntity,
    SessionEntity,
    LoginRequestEntity,
    VerifierInstitutionEntity,
    VerifierApiKeyEntity,
    ApplicationEntity,
    ApplicationMaterialEntity,
    SupplementRequestEntity,
    ApplicationRoundEntity,
    ApplicationEventEntity,
    IdempotencyKeyEntity,
    CalendarDayEntity,
    NotificationEntity,
    OutboxMessageEntity,
    SigningKeyEntity,
    CertificateAuthorityEntity,
    SealEntity,
    SealStatusEventEntity,
    SealCertificateEntity,
    RevokedCertificateEntity,
    CertificateRevocationListEntity,
    PersonalSigningCertificateEntity,
    CertificateEntity,
    CertificateSerialEntity,
    VerificationEntity,
    PresentationKeyEntity,
    PowerGridDeliveryEntity,
    ...REPORT_ENTITIES,
    EnterpriseEntity,
    EnterpriseSealApplicationEntity,
    EnterpriseSealEntity,
    EnterpriseSealUserEntity,
    EnterpriseSealUseEntity,
    EnterpriseApiKeyEntity,
  ],
  migrations,
};
