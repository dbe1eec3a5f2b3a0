import { Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '@zhengming/audit';
import { CertificatesModule } from '@zhengming/certificates';
import { CertificateTypesModule } from '@zhengming/certificate-types';
import { ApplicationsModule } from '@zhengming/applications';
import { ClockModule, type Clock } from '@zhengming/clock';
import { ConfigModule, type AppConfig } from '@zhengming/config';
import { DatabaseModule } from '@zhengming/database';
import { IdentityModule } from '@zhengming/identity';
import { NotificationsModule } from '@zhengming/notifications';
import { OrganizationsModule } from '@zhengming/organizations';
import { OutboxModule } from '@zhengming/outbox';
import { PiiModule } from '@zhengming/pii';
import { ReportsModule } from '@zhengming/reports';
import { StorageModule } from '@zhengming/storage';
import { VerificationModule } from '@zhengming/verification';
import { schema } from '../schema';

/** How the seed's connections are named, so that it can tell the running system's from its own. */
export const SEED_HISTORY_APPLICATION_NAME = 'zhengming-seed-history';

/**
 * The contexts a history goes through, composed as the worker and the API compose them, with three
 * differences: the clock is the seed's; no relay polls the outbox (the seed works each row its steps
 * write, at their moment); and nothing leaves the machine: texts to the made-up residents go to the
 * log adapter, signatures are not time-stamped (a TSA can only vouch for today, and its stand-in runs
 * inside `npm start`, which is stopped), and EV-charger certificates are not delivered to the power-supply
 * company (its module is not here).
 */
@Module({})
export class SeedHistoryModule {
  static forRoot(config: AppConfig, clock: Clock): DynamicModule {
    return {
      module: SeedHistoryModule,
      imports: [
        ConfigModule.forRoot({
          ...config,
          sms: { driver: 'log', signName: config.sms.signName },
          timestamp: { ...config.timestamp, url: null },
        }),
        ClockModule.forRoot(clock),
        DatabaseModule.forRoot(schema, SEED_HISTORY_APPLICATION_NAME),
        // What every step writes with: personal data encrypted, the audit log, files, the outbox and notices.
        PiiModule,
        AuditModule,
        StorageModule,
        OutboxModule.forRoot({ mode: 'off', pollIntervalMs: 1000, leaseMs: config.redis.outboxLeaseMs, batchSize: 1 }),
        NotificationsModule,
        // The contexts a history goes through, and the roll-ups it is for.
        OrganizationsModule,
        IdentityModule,
        CertificateTypesModule,
        ApplicationsModule,
        CertificatesModule,
        VerificationModule,
        ReportsModule.forRoot({ periodic: false, intervalMs: config.reports.refreshIntervalMs }),
      ],
    };
  }
}
