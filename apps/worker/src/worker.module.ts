import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ClockModule } from '@zhengming/clock';
import { ConfigModule, type AppConfig } from '@zhengming/config';
import { DatabaseModule } from '@zhengming/database';
import { QueueModule } from '@zhengming/queue';
import { AuditModule } from '@zhengming/audit';
import { PiiModule } from '@zhengming/pii';
import { OutboxModule } from '@zhengming/outbox';
import { NotificationsModule } from '@zhengming/notifications';
import { StorageModule } from '@zhengming/storage';
import { CertificatesModule } from '@zhengming/certificates';
import { PowerGridModule } from '@zhengming/power-grid';
import { ReportsModule } from '@zhengming/reports';
import { schema } from '../../../db/schema';
import { LOG_REDACT_PATHS } from '../../api/src/http/log-redaction';

/**
 * The worker process: BullMQ processors over the same libraries as the API, no HTTP layer. Job
 * queues arrive with the contexts that need them: notifications, issuing, deliveries, statistics.
 */
@Module({})
export class WorkerModule {
  /** `extra` lets a test add modules (e.g. a global fault injector) to the real worker. */
  static forRoot(config: AppConfig, extra: NonNullable<ModuleMetadata['imports']> = []): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule.forRoot(),
        LoggerModule.forRoot({
          pinoHttp: { level: config.log.level, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } },
        }),
        DatabaseModule.forRoot(schema),
        QueueModule,
        PiiModule,
        AuditModule,
        // The worker relays due outbox rows onto BullMQ and works them; the database stays the truth.
        OutboxModule.forRoot({
          mode: 'queue',
          pollIntervalMs: 1000,
          leaseMs: config.redis.outboxLeaseMs,
          batchSize: 50,
          concurrency: 16,
        }),
        NotificationsModule,
        StorageModule,
        // Issuing: the approval's outbox row becomes a rendered, sealed and signed certificate.
        CertificatesModule,
        // Deliveries: every EV-charger certificate pushed to the power-supply company.
        PowerGridModule,
        // Statistics: the roll-ups recounted from what changed, every REPORTS_REFRESH_SECONDS.
        ReportsModule.forRoot({ periodic: true, intervalMs: config.reports.refreshIntervalMs }),
        ...extra,
      ],
    };
  }
}
