import { HttpStatus } from '@nestjs/common';
import { OrganizationErrorCode } from '@zhengming/organizations';
import { CertificateTypeErrorCode } from '@zhengming/certificate-types';
import { HttpErrorCode } from './http-error';

export type ErrorCode = HttpErrorCode | OrganizationErrorCode | CertificateTypeErrorCode;

/**
 * Every error code of every context and the HTTP status it answers with. A code added to a context
 * without an entry here does not compile.
 */
export const STATUS_OF_CODE: Readonly<Record<ErrorCode, HttpStatus>> = {
  [HttpErrorCode.RouteNotFound]: HttpStatus.NOT_FOUND,
  [HttpErrorCode.MalformedJson]: HttpStatus.BAD_REQUEST,
  [HttpErrorCode.MalformedRequest]: HttpStatus.BAD_REQUEST,
  [HttpErrorCode.PayloadTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [HttpErrorCode.UnsupportedMediaType]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [HttpErrorCode.ValidationFailed]: HttpStatus.BAD_REQUEST,
  [HttpErrorCode.TooManyRequests]: HttpStatus.TOO_MANY_REQUESTS,
  [HttpErrorCode.NotReady]: HttpStatus.SERVICE_UNAVAILABLE,
  [HttpErrorCode.Internal]: HttpStatus.INTERNAL_SERVER_ERROR,
  [OrganizationErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [OrganizationErrorCode.ImportInvalid]: HttpStatus.UNPROCESSABLE_ENTITY,
  [CertificateTypeErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [CertificateTypeErrorCode.DefinitionInvalid]: HttpStatus.UNPROCESSABLE_ENTITY,
  [CertificateTypeErrorCode.FormInvalid]: HttpStatus.UNPROCESSABLE_ENTITY,
};

export function statusOf(code: string): HttpStatus | undefined {
  return (STATUS_OF_CODE as Record<string, HttpStatus>)[code];
}
