import { Injectable, Logger } from '@nestjs/common';
import { AuditLog } from '@zhengming/audit';
import { IdentityErrorCode, IdentityException, type Principal } from '@zhengming/identity';
import type { RequestWithPrincipal } from './access';

/**
 * Writes refusals to the audit log: the access guard's own and those the services make on the
 * object they loaded, in one shape. A refusal stays a refusal even if the audit write fails; that
 * failure is logged.
 */
@Injectable()
export class AccessAudit {
  private readonly logger = new Logger(AccessAudit.name);

  constructor(private readonly audit: AuditLog) {}

  async refused(request: RequestWithPrincipal, principal: Principal, action: string, code: string): Promise<void> {
    try {
      await this.audit.append({
        actor:
          principal.kind === 'person'
            ? { type: 'person', id: principal.personId }
            : principal.kind === 'institution'
              ? { type: 'institution', id: principal.institutionId }
              : { type: 'anonymous' },
        action,
        outcome: 'denied',
        requestId: request.id,
        details: { method: request.method, route: request.routeOptions.url ?? null, code },
      });
    } catch (error) {
      this.logger.error({ err: error }, 'could not audit a refusal');
    }
  }

  /**
   * Records a refusal a service made on the object it loaded (OUT_OF_SCOPE), if the error is one;
   * every other error passes unrecorded.
   */
  async objectRefused(request: RequestWithPrincipal, error: unknown): Promise<void> {
    if (!(error instanceof IdentityException) || error.code !== IdentityErrorCode.OutOfScope) return;
    await this.refused(request, request.principal ?? { kind: 'anonymous' }, 'auth.denied', error.code);
  }
}
