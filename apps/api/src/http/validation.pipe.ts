import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { HttpErrorCode, HttpErrorException } from './http-error';

export interface FieldProblem {
  field: string;
  problems: string[];
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Every request DTO is validated and transformed; unknown properties are refused rather than
 * silently dropped, so a typo in a parameter name is an error the caller sees.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) =>
      new HttpErrorException(HttpErrorCode.ValidationFailed, {
        fields: flatten(errors),
      }),
  });
}
