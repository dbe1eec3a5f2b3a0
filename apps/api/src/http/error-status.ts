import { HttpStatus } from '@nestjs/common';
import { OrganizationErrorCode } from '@zhengming/organizations';
import { CertificateTypeErrorCode } from '@zhengming/certificate-types';
import { IdentityErrorCode } from '@zhengming/identity';
import { HttpErrorCode } from './http-error';

export type ErrorCode = HttpErrorCode | OrganizationErrorCode | CertificateTypeErrorCode | IdentityErrorCode;

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
  [IdentityErrorCode.AuthRequired]: HttpStatus.UNAUTHORIZED,
  [IdentityErrorCode.TokenInvalid]: HttpStatus.UNAUTHORIZED,
  [IdentityErrorCode.TokenExpired]: HttpStatus.UNAUTHORIZED,
  [IdentityErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [IdentityErrorCode.OutOfScope]: HttpStatus.FORBIDDEN,
  [IdentityErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [IdentityErrorCode.LoginFailed]: HttpStatus.BAD_REQUEST,
  [IdentityErrorCode.ProviderUnavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [IdentityErrorCode.CsrfRejected]: HttpStatus.FORBIDDEN,
  [IdentityErrorCode.IdentityInvalid]: HttpStatus.UNPROCESSABLE_ENTITY,
  [IdentityErrorCode.ApiKeyInvalid]: HttpStatus.UNAUTHORIZED,
  [IdentityErrorCode.ApiKeyRevoked]: HttpStatus.UNAUTHORIZED,
  [IdentityErrorCode.ApiKeyRateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [IdentityErrorCode.ApiKeyNotFound]: HttpStatus.NOT_FOUND,
  [IdentityErrorCode.IdNumberInvalid]: HttpStatus.BAD_REQUEST,
  [IdentityErrorCode.PhoneInvalid]: HttpStatus.BAD_REQUEST,
  [IdentityErrorCode.CreditCodeInvalid]: HttpStatus.BAD_REQUEST,
  [IdentityErrorCode.PersonNotFound]: HttpStatus.NOT_FOUND,
  [IdentityErrorCode.StaffRoleLevelMismatch]: HttpStatus.UNPROCESSABLE_ENTITY,
  [IdentityErrorCode.StaffRoleExists]: HttpStatus.CONFLICT,
  [IdentityErrorCode.StaffRoleNotFound]: HttpStatus.NOT_FOUND,
  [IdentityErrorCode.InstitutionNotFound]: HttpStatus.NOT_FOUND,
  [IdentityErrorCode.InstitutionExists]: HttpStatus.CONFLICT,
  [IdentityErrorCode.AuditQueryInvalid]: HttpStatus.BAD_REQUEST,
};

export function statusOf(code: string): HttpStatus | undefined {
  return (STATUS_OF_CODE as Record<string, HttpStatus>)[code];
}
