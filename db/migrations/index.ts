import { DistrictReferenceData1795261124655 } from './1795261124655-district-reference-data';
import { IdentityAndAudit1795400000000 } from './1795400000000-identity-and-audit';
import { ApplicationWorkflow1795500000000 } from './1795500000000-application-workflow';
import { SigningAndCertificates1795600000000 } from './1795600000000-signing-and-certificates';
import { Verification1795700000000 } from './1795700000000-verification';
import { PowerGridDeliveries1795800000000 } from './1795800000000-power-grid-deliveries';
import { SealLifecycle1796000000000 } from './1796000000000-seal-lifecycle';
import { EnterpriseSeals1796100000000 } from './1796100000000-enterprise-seals';
import { StatisticsRollups1796200000000 } from './1796200000000-statistics-rollups';
import { VerificationLogWithoutForeignKeys1796300000000 } from './1796300000000-verification-log-without-foreign-keys';

/** Every migration, in order. Listed explicitly so that bundling or renaming cannot silently drop one. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [
  DistrictReferenceData1795261124655,
  IdentityAndAudit1795400000000,
  ApplicationWorkflow1795500000000,
  SigningAndCertificates1795600000000,
  Verification1795700000000,
  PowerGridDeliveries1795800000000,
  SealLifecycle1796000000000,
  EnterpriseSeals1796100000000,
  StatisticsRollups1796200000000,
  VerificationLogWithoutForeignKeys1796300000000,
];
