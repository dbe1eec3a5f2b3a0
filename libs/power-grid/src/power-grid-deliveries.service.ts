import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { HTTP_CONFIG, POWER_GRID_CONFIG, type HttpConfig, type PowerGridConfig } from '@zhengming/config';
import { ApplicationEntity } from '@zhengming/applications';
import {
  compactCertificateNumber,
  CertificateEntity,
  IssuanceListeners,
  type IssuanceListener,
  type IssuedCertificate,
} from '@zhengming/certificates';
import { NotificationsService } from '@zhengming/notifications';
import { OrganizationEntity } from '@zhengming/organizations';
import {
  OutboxHandlers,
  OutboxService,
  PermanentFailure,
  type OutboxHandler,
  type OutboxMessageEntity,
  type OutboxStatus,
  type RetryPolicy,
} from '@zhengming/outbox';
import { maskPhone, PiiCipher } from '@zhengming/pii';
import { deliverySignature } from './delivery-signature';
import { PowerGridDeliveryEntity } from './power-grid-delivery.entity';
import { DeliveryErrorCode, DeliveryException } from './power-grid.exception';

export const POWER_GRID_TOPIC = 'power-grid.deliver';
/** The certificate types whose `integrations` name this are pushed. */
export const POWER_SUPPLY_INTEGRATION = 'power-supply';

export type DeliveryStatus = 'pending' | 'in_flight' | 'delivered' | 'dead';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'in_flight', 'delivered', 'dead'];
export const DELIVERY_STATUS_NAMES: Readonly<Record<DeliveryStatus, string>> = {
  pending: '待推送',
  in_flight: '推送中',
  delivered: '已推送',
  dead: '推送失败',
};

const STATUS_OF: Readonly<Record<OutboxStatus, DeliveryStatus>> = {
  pending: 'pending',
  in_flight: 'in_flight',
  done: 'delivered',
  dead: 'dead',
};
const OUTBOX_OF: Readonly<Record<DeliveryStatus, OutboxStatus>> = {
  pending: 'pending',
  in_flight: 'in_flight',
  delivered: 'done',
  dead: 'dead',
};

/** What the company receives: the facts it needs to open a work order, nothing more. */
export interface PowerGridRecord {
  certificateNo: string;
  type: string;
  typeName: string;
  issuedAt: string;
  installationAddress: string;
  applicantName: string;
  applicantPhone: string;
  documentSha256: string;
  documentUrl: string;
}

export interface DeliveryView {
  id: string;
  applicationId: string;
  certificateNo: string;
  status: DeliveryStatus;
  statusName: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  receiptNo: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface DeliveryStats {
  counts: Record<DeliveryStatus, number>;
  /** Age in seconds of the oldest delivery in each open state (0 when none). */
  oldestSeconds: Record<'pending' | 'in_flight' | 'dead', number>;
}

interface DeliveryRow {
  id: string;
  application_id: string;
  number: string;
  status: OutboxStatus;
  attempts: number;
  last_error: string | null;
  available_at: Date;
  receipt_no: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const SELECT_VIEW = `
  SELECT d.id, d.application_id, c.number, o.status, o.attempts, o.last_error, o.available_at, d.receipt_no,
         d.created_at, d.delivered_at
    FROM power_grid_deliveries d
    JOIN certificates c ON c.id = d.certificate_id
    JOIN outbox o ON o.id = d.outbox_id`;

function toView(row: DeliveryRow): DeliveryView {
  const status = STATUS_OF[row.status];
  return {
    id: row.id,
    applicationId: row.application_id,
    certificateNo: row.number,
    status,
    statusName: DELIVERY_STATUS_NAMES[status],
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: status === 'pending' ? row.available_at : null,
    receiptNo: row.receipt_no,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

/**
 * Pushes every issued EV-charger installation certificate to the power-supply company, exactly once
 * in effect: the delivery and its outbox row are written in the issuing transaction; the outbox relay
 * (BullMQ with a worker, in-process without Redis) runs `handle`, which signs the record and sends it
 * with the delivery id as idempotency key, and records the receipt. A timeout or a 5xx is retried with
 * backoff; a refusal of the request itself (4xx) is final, and a delivery that dies alerts the admin.
 */
@Injectable()
export class PowerGridDeliveries implements OnModuleInit, OutboxHandler, IssuanceListener {
  readonly topic = POWER_GRID_TOPIC;
  readonly retry: RetryPolicy;
  /** A claim outlives one attempt (the timeout) with room to spare, then the sweeper may take it again. */
  readonly leaseMs: number;
  private readonly logger = new Logger(PowerGridDeliveries.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly handlers: OutboxHandlers,
    private readonly listeners: IssuanceListeners,
    private readonly notifications: NotificationsService,
    private readonly cipher: PiiCipher,
    @Inject(POWER_GRID_CONFIG) private readonly config: PowerGridConfig,
    @Inject(HTTP_CONFIG) private readonly http: HttpConfig,
  ) {
    this.retry = config.retry;
    this.leaseMs = 2 * config.timeoutMs + 5_000;
  }

  onModuleInit(): void {
    this.handlers.register(this);
    this.listeners.register(this);
  }

  /** In the issuing transaction: a delivery for every certificate of a type that integrates with the company. */
  async onIssued(m: EntityManager, issued: readonly IssuedCertificate[]): Promise<void> {
    const deliveries = issued
      .filter(({ version }) => version.integrations.includes(POWER_SUPPLY_INTEGRATION))
      .map(({ certificate, application }) => ({
        id: randomUUID(),
        certificateId: certificate.id,
        applicationId: application.id,
      }));
    if (deliveries.length === 0) return;
    const outboxIds = await this.outbox.addAll(
      m,
      deliveries.map(({ id, certificateId }) => ({
        topic: POWER_GRID_TOPIC,
        aggregateId: certificateId,
        payload: { deliveryId: id },
        dedupeKey: `${POWER_GRID_TOPIC}:${certificateId}`,
      })),
    );
    await m.insert(
      PowerGridDeliveryEntity,
      deliveries.map((delivery, i) => ({ ...delivery, outboxId: outboxIds[i] })),
    );
  }

  async handle(message: OutboxMessageEntity): Promise<void> {
    const deliveryId = String(message.payload.deliveryId);
    const delivery = await this.dataSource.getRepository(PowerGridDeliveryEntity).findOne({
      where: { id: deliveryId },
      relations: { certificate: { typeVersion: true }, application: true },
    });
    if (!delivery) throw new PermanentFailure(`delivery ${deliveryId} does not exist`);
    if (delivery.receiptNo) return;
    const body = JSON.stringify(this.recordOf(delivery.certificate!, delivery.application!));
    const timestamp = String(Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(`${this.config.url}/api/v1/installation-certificates`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': delivery.id,
          'x-zm-timestamp': timestamp,
          'x-zm-signature': deliverySignature(this.config.hmacSecret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (error) {
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${this.config.timeoutMs} ms`
          : `unreachable: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`;
      throw new Error(`power grid ${reason}`);
    }
    const text = (await response.text().catch(() => '')).slice(0, 300);
    if (response.status === 200 || response.status === 201) {
      const receiptNo = (JSON.parse(text) as { receiptNo?: unknown }).receiptNo;
      if (typeof receiptNo !== 'string' || !/^[\w-]{1,40}$/.test(receiptNo)) {
        throw new Error(`power grid answered ${response.status} without a receipt number`);
      }
      await this.recordReceipt(delivery.id, receiptNo);
      return;
    }
    // The request itself was refused (bad signature, invalid record, reused key): sending it again cannot help.
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      throw new PermanentFailure(`power grid refused the delivery: ${response.status} ${text}`);
    }
    throw new Error(`power grid answered ${response.status} ${text}`);
  }

  /** In the transaction that marks the delivery dead: the district admin is told in the app. */
  async onDead(m: EntityManager, message: OutboxMessageEntity, reason: string): Promise<void> {
    const delivery = await m.findOne(PowerGridDeliveryEntity, {
      where: { id: String(message.payload.deliveryId) },
      relations: { certificate: true },
    });
    const district = await m.findOneBy(OrganizationEntity, { level: 'district' });
    if (!delivery || !district) return;
    this.logger.error({ deliveryId: delivery.id, reason }, 'power grid delivery dead');
    await this.notifications.notify(m, {
      recipientOrganizationId: district.id,
      applicationId: delivery.applicationId,
      event: 'power-grid.dead',
      title: '供电部门推送失败',
      body: `证明 ${delivery.certificate!.number} 未能推送至供电业务系统：${reason.slice(0, 200)}。请在“供电推送”中处理后重新推送。`,
    });
  }

  async list(
    status: DeliveryStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<{ items: DeliveryView[]; total: number }> {
    const where = status ? 'WHERE o.status = $1' : 'WHERE $1::varchar IS NULL';
    const filter = status ? OUTBOX_OF[status] : null;
    const rows: DeliveryRow[] = await this.dataSource.query(
      `${SELECT_VIEW} ${where} ORDER BY d.created_at DESC, d.id OFFSET $2 LIMIT $3`,
      [filter, offset, limit],
    );
    const [{ total }] = await this.dataSource.query<{ total: number }[]>(
      `SELECT count(*)::int AS total FROM power_grid_deliveries d JOIN outbox o ON o.id = d.outbox_id ${where}`,
      [filter],
    );
    return { items: rows.map(toView), total };
  }

  async forApplication(applicationId: string): Promise<DeliveryView | null> {
    const rows: DeliveryRow[] = await this.dataSource.query(`${SELECT_VIEW} WHERE d.application_id = $1`, [
      applicationId,
    ]);
    return rows[0] ? toView(rows[0]) : null;
  }

  /** Sends a dead delivery again from its first attempt. */
  async retryOne(id: string): Promise<DeliveryView> {
    const delivery = await this.dataSource.getRepository(PowerGridDeliveryEntity).findOneBy({ id });
    if (!delivery) throw new DeliveryException(DeliveryErrorCode.NotFound, { id });
    if ((await this.outbox.revive(POWER_GRID_TOPIC, [delivery.outboxId])) === 0) {
      throw new DeliveryException(DeliveryErrorCode.NotDead, { id });
    }
    return (await this.forApplication(delivery.applicationId))!;
  }

  async retryAllDead(): Promise<number> {
    return this.outbox.revive(POWER_GRID_TOPIC);
  }

  async stats(): Promise<DeliveryStats> {
    const rows: { status: OutboxStatus; count: number; oldest: number | null }[] = await this.dataSource.query(
      `SELECT o.status, count(*)::int AS count, extract(epoch FROM now() - min(d.created_at))::float AS oldest
         FROM power_grid_deliveries d JOIN outbox o ON o.id = d.outbox_id GROUP BY o.status`,
    );
    const stats: DeliveryStats = {
      counts: { pending: 0, in_flight: 0, delivered: 0, dead: 0 },
      oldestSeconds: { pending: 0, in_flight: 0, dead: 0 },
    };
    for (const row of rows) {
      const status = STATUS_OF[row.status];
      stats.counts[status] = row.count;
      if (status !== 'delivered') stats.oldestSeconds[status] = Math.round(row.oldest ?? 0);
    }
    return stats;
  }

  private async recordReceipt(id: string, receiptNo: string): Promise<void> {
    await this.dataSource
      .getRepository(PowerGridDeliveryEntity)
      .createQueryBuilder()
      .update()
      .set({ receiptNo, deliveredAt: () => 'now()' })
      .where('id = :id AND receipt_no IS NULL', { id })
      .execute();
  }

  private recordOf(certificate: CertificateEntity, application: ApplicationEntity): PowerGridRecord {
    const form = JSON.parse(this.cipher.decrypt('form', application.formEnc)) as Record<string, unknown>;
    const code = this.cipher.decrypt('verificationCode', certificate.verificationCodeEncrypted);
    const compact = compactCertificateNumber(certificate.number);
    return {
      certificateNo: certificate.number,
      type: application.typeCode,
      typeName: certificate.typeVersion!.name,
      issuedAt: certificate.issuedAt.toISOString(),
      installationAddress: String(form.installationAddress ?? ''),
      applicantName: application.applicantNameMasked,
      // Masked like the name: the company reaches the resident through the committee, not from this record.
      applicantPhone: maskPhone(String(form.phone ?? '')),
      documentSha256: certificate.documentSha256 ?? '',
      documentUrl: `${this.http.publicBaseUrl}/api/verifications/${compact}/document.pdf?code=${code}`,
    };
  }
}
