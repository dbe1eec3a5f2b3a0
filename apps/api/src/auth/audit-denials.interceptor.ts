import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import type { RequestWithPrincipal } from './access';
import { AccessAudit } from './access-audit';

/**
 * Object-level refusals happen in the services that load the object; this records each of them in
 * the audit log, as the access guard does for the refusals it makes itself, and passes the error on.
 */
@Injectable()
export class AuditDenialsInterceptor implements NestInterceptor {
  constructor(private readonly accessAudit: AccessAudit) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
        return from(this.accessAudit.objectRefused(request, error)).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}
