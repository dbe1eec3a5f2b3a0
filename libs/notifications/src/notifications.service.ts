import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { Clock } from '@zhengming/clock';
import { PiiCipher } from '@zhengming/pii';
import { OutboxHandlers, OutboxService, type OutboxHandler, type OutboxMessageEntity } from '@zhengming/outbox';
import { NotificationEntity } from './notification.entity';
import { SmsSender } from './sms-sender';

export const SMS_TOPIC = 'notification.sms';

export interface NewNotification {
  recipientPersonId?: string;
  recipientOrganizationId?: string;
  applicationId?: string;
  event: string;
  title: string;
  body: string;
  /** Also send a text message to this number (plaintext here; stored encrypted). */
  smsTo?: string | null;
}

export interface NotificationPage {
  items: NotificationEntity[];
  unread: number;
}

/**
 * In-app messages are rows written in the transaction of the change they report; text messages go
 * through the outbox, so a slow or broken SMS gateway never holds up or undoes a transition.
 */
@Injectable()
export class NotificationsService implements OnModuleInit, OutboxHandler {
  readonly topic = SMS_TOPIC;
  /** Texts sent together: the notifications read in one query, the sent ones marked in another. */
  readonly batchSize = 20;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly handlers: OutboxHandlers,
    private readonly cipher: PiiCipher,
    private readonly sms: SmsSender,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.handlers.register(this);
  }

  /** Writes the notifications (one insert) and their text messages' outbox rows, in the caller's transaction. */
  async notify(manager: EntityManager, ...notifications: NewNotification[]): Promise<void> {
    if (notifications.length === 0) return;
    const createdAt = this.clock.now();
    const rows = notifications.map((notification) =>
      manager.create(NotificationEntity, {
        recipientPersonId: notification.recipientPersonId ?? null,
        recipientOrganizationId: notification.recipientOrganizationId ?? null,
        applicationId: notification.applicationId ?? null,
        event: notification.event,
        title: notification.title,
        body: notification.body,
        smsToEnc: notification.smsTo ? this.cipher.encrypt('phone', notification.smsTo) : null,
        createdAt,
      }),
    );
    await manager.insert(NotificationEntity, rows);
    await this.outbox.addAll(
      manager,
      rows
        .filter((row) => row.smsToEnc)
        .map((row) => ({ topic: SMS_TOPIC, aggregateId: row.id, dedupeKey: `${SMS_TOPIC}:${row.id}` })),
    );
  }

  /** Sends the text of one notification once: a row already marked sent is not sent again. */
  async handle(message: OutboxMessageEntity): Promise<void> {
    const [failure] = await this.handleMany([message]);
    if (failure !== undefined) throw failure;
  }

  /** Each message's failure (undefined: sent, or sent before); one gateway failure is that message's only. */
  async handleMany(messages: OutboxMessageEntity[]): Promise<unknown[]> {
    const notifications = new Map(
      (
        await this.dataSource
          .getRepository(NotificationEntity)
          .findBy({ id: In(messages.map((message) => message.aggregateId)) })
      ).map((notification) => [notification.id, notification]),
    );
    const sent: { id: string; messageId: string }[] = [];
    const failures = await Promise.all(
      messages.map(async (message) => {
        const notification = notifications.get(message.aggregateId);
        if (!notification?.smsToEnc || notification.smsSentAt) return undefined;
        try {
          const { messageId } = await this.sms.send({
            to: this.cipher.decrypt('phone', notification.smsToEnc),
            text: `${notification.title}：${notification.body}`,
            idempotencyKey: notification.id,
          });
          sent.push({ id: notification.id, messageId });
          return undefined;
        } catch (error) {
          return error;
        }
      }),
    );
    if (sent.length > 0) {
      await this.dataSource.query(
        `UPDATE notifications n SET sms_sent_at = $1, sms_message_id = v.message_id
           FROM unnest($2::uuid[], $3::text[]) AS v(id, message_id)
          WHERE n.id = v.id AND n.sms_sent_at IS NULL`,
        [this.clock.now(), sent.map((s) => s.id), sent.map((s) => s.messageId)],
      );
    }
    return failures;
  }

  /** A person's messages: their own, and those to the organizations where they work. */
  async listFor(personId: string, organizationIds: readonly string[], limit = 50): Promise<NotificationPage> {
    const qb = () =>
      this.dataSource
        .getRepository(NotificationEntity)
        .createQueryBuilder('n')
        .where(
          organizationIds.length > 0
            ? '(n.recipient_person_id = :personId OR n.recipient_organization_id IN (:...organizationIds))'
            : 'n.recipient_person_id = :personId',
          { personId, organizationIds },
        );
    const [items, unread] = await Promise.all([
      qb().orderBy('n.created_at', 'DESC').addOrderBy('n.id', 'DESC').limit(limit).getMany(),
      qb().andWhere('n.read_at IS NULL').getCount(),
    ]);
    return { items, unread };
  }

  /** Marks one message read; false when it is not one of the caller's. */
  async markRead(id: string, personId: string, organizationIds: readonly string[]): Promise<boolean> {
    const notification = await this.dataSource.getRepository(NotificationEntity).findOneBy({ id });
    if (!notification) return false;
    const mine =
      notification.recipientPersonId === personId ||
      (notification.recipientOrganizationId !== null && organizationIds.includes(notification.recipientOrganizationId));
    if (!mine) return false;
    if (!notification.readAt) {
      await this.dataSource.getRepository(NotificationEntity).update({ id }, { readAt: this.clock.now() });
    }
    return true;
  }
}
