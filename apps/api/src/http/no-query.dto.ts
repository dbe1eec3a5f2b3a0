import type { PipeTransform } from '@nestjs/common';
import { HttpErrorCode, HttpErrorException } from './http-error';

/**
 * For routes that take no query parameters: `?anything=` is answered with VALIDATION_FAILED, as on
 * every other route, instead of being silently ignored. Use as `@Query(NoQuery) _query: object`.
 */
export class NoQuery implements PipeTransform<Record<string, unknown>> {
  transform(query: Record<string, unknown>): Record<string, unknown> {
    const unknown = Object.keys(query ?? {});
    if (unknown.length > 0) {
      throw new HttpErrorException(HttpErrorCode.ValidationFailed, {
        fields: unknown.map((field) => ({ field, problems: [`property ${field} should not exist`] })),
      });
    }
    return query;
  }
}
