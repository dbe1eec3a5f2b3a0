import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ISSUE_CERTIFICATE_TOPIC } from '@zhengming/applications';
import { SealLifecycleService, type SealEntity, type SealLifecycleListener } from '@zhengming/signing';

/**
 * Issuing that waited for a suspended (or revoked) seal goes on when the seal is reinstated (or its
 * successor issued): the committee's
 * pending issue rows become due now (not at the end of their backoff), and rows whose attempts ran
 * out while the seal was suspended start afresh. Nothing is lost while a seal is suspended.
 */
@Injectable()
export class SealReinstatementListener implements OnModuleInit, SealLifecycleListener {
  private readonly logger = new Logger(SealReinstatementListener.name);

  constructor(private readonly lifecycle: SealLifecycleService) {}

  onModuleInit(): void {
    this.lifecycle.register(this);
  }

  async onInForce(m: EntityManager, seal: SealEntity): Promise<void> {
    const [, count] = (await m.query(
      `UPDATE outbox o
          SET status = 'pending', available_at = now(), locked_until = NULL,
              attempts = CASE WHEN o.status = 'dead' THEN 0 ELSE o.attempts END
         FROM applications a
        WHERE o.topic = $1 AND o.status IN ('pending', 'dead') AND a.id = o.aggregate_id
          AND a.committee_id = $2 AND a.status = 'approved'`,
      [ISSUE_CERTIFICATE_TOPIC, seal.organizationId],
    )) as [unknown, number];
    if (count > 0) this.logger.log({ sealId: seal.id, resumed: count }, 'issuing resumed: the seal is in force');
  }
}
