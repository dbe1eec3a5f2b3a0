import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import { AuditLog } from '@zhengming/audit';
import { IdentityErrorCode, IdentityException } from '@zhengming/identity';
import type { RequestWithPrincipal } from './access';

/**
 * Object-level refusals happen in the services that load the object; this records each of them in
 * the audit log, as the access guard does for the refusals it makes itself, and passes the error on.
 */
@Injectable()
export class AuditDenialsInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AuditDenialsInterceptor.name);

  constructor(private readonly audit: AuditLog) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (!(error instanceof IdentityException) || error.code !== IdentityErrorCode.OutOfScope) {
          return throwError(() => error);
        }
        const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
        const principal = request.principal;
        const recorded = this.audit
          .append({
            actor:
              principal?.kind === 'person'
                ? { type: 'person', id: principal.personId }
                : principal?.kind === 'institution'
                  ? { type: 'institution', id: principal.institutionId }
                  : { type: 'anonymous' },
            action: 'auth.denied',
            outcome: 'denied',
            requestId: request.id,
            details: { method: request.method, route: request.routeOptions.url ?? null, code: error.code },
          })
          .catch((failure: unknown) => this.logger.error({ err: failure }, 'could not audit a refusal'));
        return from(recorded).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}
