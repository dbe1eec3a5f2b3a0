import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { ClockModule } from '@zhengming/clock';
import { ConfigModule, type AppConfig } from '@zhengming/config';
import { DatabaseModule } from '@zhengming/database';
import { QueueModule } from '@zhengming/queue';
import { OrganizationsModule } from '@zhengming/organizations';
import { CertificateTypesModule } from '@zhengming/certificate-types';
import { AuditModule } from '@zhengming/audit';
import { IdentityModule } from '@zhengming/identity';
import { PiiModule } from '@zhengming/pii';
import { ApplicationsModule } from '@zhengming/applications';
import { NotificationsModule } from '@zhengming/notifications';
import { OutboxModule } from '@zhengming/outbox';
import { StorageModule } from '@zhengming/storage';
import { CertificatesModule } from '@zhengming/certificates';
import { schema } from '../../../db/schema';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { OrganizationsController } from './organizations/organizations.controller';
import { CertificateTypesController } from './certificate-types/certificate-types.controller';
import { ReferenceDataSeeder } from './reference-data.seeder';
import { AccessGuard } from './auth/access.guard';
import { DirectVerificationRoute } from './verification/direct-verification-route';
import { AccessAudit } from './auth/access-audit';
import { AccessInventory } from './auth/access-inventory';
import { AuditDenialsInterceptor } from './auth/audit-denials.interceptor';
import { AuditController } from './auth/audit.controller';
import { AuthController } from './auth/auth.controller';
import { LoginService } from './auth/login.service';
import { MeController } from './auth/me.controller';
import { OidcRelyingParty } from './auth/oidc-relying-party';
import { RateLimits } from './auth/rate-limits';
import { StaffController } from './auth/staff.controller';
import { VerifiersController } from './auth/verifiers.controller';
import { LOG_REDACT_PATHS } from './http/log-redaction';
import { ApplicationsController } from './applications/applications.controller';
import { CommitteeLookupController } from './applications/committee-lookup.controller';
import { NotificationsController } from './applications/notifications.controller';
import { CertificatesController } from './certificates/certificates.controller';
import { VerificationModule } from '@zhengming/verification';
import { PowerGridModule } from '@zhengming/power-grid';
import { ReportsModule } from '@zhengming/reports';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { VerificationsController } from './verification/verifications.controller';
import { PkiController } from './certificates/pki.controller';
import { SealsController } from './certificates/seals.controller';
import { ReportsController } from './reports/reports.controller';
import { EnterprisesModule } from '@zhengming/enterprises';
import { EnterprisesController } from './enterprises/enterprises.controller';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule.forRoot(),
        LoggerModule.forRoot({
          // No Nest middleware: requests are logged and bound to their logger by a Fastify hook
          // (installRequestLogging), from the root logger configured here.
          forRoutes: [],
          pinoHttp: {
            level: config.log.level,
            transport: config.log.pretty ? { target: 'pino-pretty' } : undefined,
            redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
            serializers: {
              // Paths only: query strings are not logged, whatever a client puts in them.
              req: (req: { id: string; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                path: req.url.split('?')[0],
              }),
            },
          },
        }),
        DatabaseModule.forRoot(schema),
        QueueModule,
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
        DiscoveryModule,
        PiiModule,
        AuditModule,
        OrganizationsModule,
        CertificateTypesModule,
        IdentityModule,
        StorageModule,
        // Without Redis the API runs outbox work itself; with Redis the worker process does.
        OutboxModule.forRoot({
          mode: config.redis.url ? 'off' : 'in-process',
          pollIntervalMs: 1000,
          leaseMs: config.redis.outboxLeaseMs,
          batchSize: 20,
        }),
        NotificationsModule,
        ApplicationsModule,
        CertificatesModule,
        VerificationModule,
        PowerGridModule,
        // Without Redis no worker runs: the API keeps the statistics roll-ups fresh itself.
        ReportsModule.forRoot({ periodic: !config.redis.url, intervalMs: config.reports.refreshIntervalMs }),
        EnterprisesModule,
      ],
      controllers: [
        HealthController,
        MetricsController,
        OrganizationsController,
        CertificateTypesController,
        AuthController,
        MeController,
        StaffController,
        VerifiersController,
        AuditController,
        ApplicationsController,
        NotificationsController,
        CommitteeLookupController,
        CertificatesController,
        SealsController,
        PkiController,
        VerificationsController,
        DeliveriesController,
        ReportsController,
        EnterprisesController,
      ],
      providers: [
        MetricsService,
        ReferenceDataSeeder,
        RateLimits,
        OidcRelyingParty,
        LoginService,
        AccessInventory,
        AccessAudit,
        AccessGuard,
        { provide: APP_GUARD, useExisting: AccessGuard },
        DirectVerificationRoute,
        { provide: APP_INTERCEPTOR, useClass: AuditDenialsInterceptor },
      ],
    };
  }
}
