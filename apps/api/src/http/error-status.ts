import { HttpStatus } from '@nestjs/common';
import { OrganizationErrorCode } from '@zhengming/organizations';
import { CertificateTypeErrorCode } from '@zhengming/certificate-types';
import { IdentityErrorCode } from '@zhengming/identity';
import { ApplicationErrorCode, MaterialErrorCode } from '@zhengming/applications';
import { CertificateErrorCode } from '@zhengming/certificates';
import { SigningErrorCode } from '@zhengming/signing';
import { VerificationErrorCode } from '@zhengming/verification';
import { DeliveryErrorCode } from '@zhengming/power-grid';
import { ReportErrorCode } from '@zhengming/reports';
import { EnterpriseErrorCode } from '@zhengming/enterprises';
import { HttpErrorCode } from './http-error';

export type ErrorCode =
  | HttpErrorCode
  | OrganizationErrorCode
  | CertificateTypeErrorCode
  | IdentityErrorCode
  | ApplicationErrorCode
  | MaterialErrorCode
  | SigningErrorCode
  | CertificateErrorCode
  | VerificationErrorCode
  | DeliveryErrorCode
  | ReportErrorCode
  | EnterpriseErrorCode;

/**
 * Every error code of every context and the HTTP status it answers with. A code added to a context
 * without an entry here does not compile.
 */
export const STATUS_OF_CODE: Readonly<Record<ErrorCode, HttpStatus>> = {
  [HttpErrorCode.RouteNotFound]: HttpStatus.NOT_FOUND,
  [EnterpriseErrorCode.NotAnEnterprise]: HttpStatus.UNPROCESSABLE_ENTITY,
  [EnterpriseErrorCode.ApplicationNotFound]: HttpStatus.NOT_FOUND,
  [EnterpriseErrorCode.ApplicationDecided]: HttpStatus.CONFLICT,
  [EnterpriseErrorCode.ApplicationPending]: HttpStatus.CONFLICT,
  [EnterpriseErrorCode.NotLegalRepresentative]: HttpStatus.FORBIDDEN,
  [EnterpriseErrorCode.SealKindHeld]: HttpStatus.CONFLICT,
  [EnterpriseErrorCode.SealNotFound]: HttpStatus.NOT_FOUND,
  [EnterpriseErrorCode.SealUserNotFound]: HttpStatus.NOT_FOUND,
  [EnterpriseErrorCode.SealUserExists]: HttpStatus.CONFLICT,
  [EnterpriseErrorCode.ApiKeyNotFound]: HttpStatus.NOT_FOUND,
  [EnterpriseErrorCode.UseNotAuthorized]: HttpStatus.FORBIDDEN,
  [EnterpriseErrorCode.UseNotPdf]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [EnterpriseErrorCode.UsePdfMalformed]: HttpStatus.BAD_REQUEST,
  [EnterpriseErrorCode.UsePdfEncrypted]: HttpStatus.BAD_REQUEST,
  [EnterpriseErrorCode.UsePdfTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [EnterpriseErrorCode.UsePageOutOfRange]: HttpStatus.UNPROCESSABLE_ENTITY,
  [EnterpriseErrorCode.UsePositionOffPage]: HttpStatus.UNPROCESSABLE_ENTITY,
  [EnterpriseErrorCode.UseTimestampUnavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [SigningErrorCode.PkiNotInitialized]: HttpStatus.SERVICE_UNAVAILABLE,
  [SigningErrorCode.SealNotFound]: HttpStatus.NOT_FOUND,
  [SigningErrorCode.SealSuspended]: HttpStatus.CONFLICT,
  [SigningErrorCode.SealRevoked]: HttpStatus.CONFLICT,
  [SigningErrorCode.SealCertificateNotCurrent]: HttpStatus.CONFLICT,
  [SigningErrorCode.CrlIssuerNotFound]: HttpStatus.NOT_FOUND,
  [SigningErrorCode.SealStatusConflict]: HttpStatus.CONFLICT,
  [SigningErrorCode.SealAlreadyRevoked]: HttpStatus.CONFLICT,
  [SigningErrorCode.KeyStoreMismatch]: HttpStatus.SERVICE_UNAVAILABLE,
  [CertificateErrorCode.NotIssued]: HttpStatus.NOT_FOUND,
  [CertificateErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [CertificateErrorCode.ApplicationNotApproved]: HttpStatus.CONFLICT,
  [CertificateErrorCode.TemplateMissing]: HttpStatus.UNPROCESSABLE_ENTITY,
  [CertificateErrorCode.SerialsExhausted]: HttpStatus.CONFLICT,
  [CertificateErrorCode.AlreadyRevoked]: HttpStatus.CONFLICT,
  [VerificationErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [DeliveryErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [DeliveryErrorCode.NotDead]: HttpStatus.CONFLICT,
  [ReportErrorCode.RangeInvalid]: HttpStatus.BAD_REQUEST,
  [ReportErrorCode.RangeTooLong]: HttpStatus.BAD_REQUEST,
  [ReportErrorCode.OrganizationUnknown]: HttpStatus.NOT_FOUND,
  [ReportErrorCode.TypeUnknown]: HttpStatus.NOT_FOUND,
  [ReportErrorCode.CommitteeNotInTown]: HttpStatus.BAD_REQUEST,
  [ReportErrorCode.OutOfScope]: HttpStatus.FORBIDDEN,
  [VerificationErrorCode.PdfNotPdf]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [VerificationErrorCode.PdfMalformed]: HttpStatus.BAD_REQUEST,
  [VerificationErrorCode.PdfEncrypted]: HttpStatus.BAD_REQUEST,
  [VerificationErrorCode.PdfTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
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
  [ApplicationErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [ApplicationErrorCode.StateConflict]: HttpStatus.CONFLICT,
  [ApplicationErrorCode.AlreadyHandled]: HttpStatus.CONFLICT,
  [ApplicationErrorCode.CommitteeInvalid]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ApplicationErrorCode.MaterialsMissing]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ApplicationErrorCode.MaterialsTooMany]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ApplicationErrorCode.MaterialKeyUnknown]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ApplicationErrorCode.MaterialNotFound]: HttpStatus.NOT_FOUND,
  [ApplicationErrorCode.MaterialLocked]: HttpStatus.CONFLICT,
  [ApplicationErrorCode.SupplementInvalid]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ApplicationErrorCode.SupplementUnanswered]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ApplicationErrorCode.CursorInvalid]: HttpStatus.BAD_REQUEST,
  [ApplicationErrorCode.NotificationNotFound]: HttpStatus.NOT_FOUND,
  [ApplicationErrorCode.IdempotencyKeyRequired]: HttpStatus.BAD_REQUEST,
  [ApplicationErrorCode.IdempotencyKeyInvalid]: HttpStatus.BAD_REQUEST,
  [ApplicationErrorCode.IdempotencyKeyReused]: HttpStatus.UNPROCESSABLE_ENTITY,
  [MaterialErrorCode.TooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [MaterialErrorCode.Empty]: HttpStatus.UNPROCESSABLE_ENTITY,
  [MaterialErrorCode.TypeUnsupported]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [MaterialErrorCode.KindNotAccepted]: HttpStatus.UNPROCESSABLE_ENTITY,
  [MaterialErrorCode.Corrupt]: HttpStatus.UNPROCESSABLE_ENTITY,
  [MaterialErrorCode.Encrypted]: HttpStatus.UNPROCESSABLE_ENTITY,
  [MaterialErrorCode.TooManyPages]: HttpStatus.UNPROCESSABLE_ENTITY,
  [MaterialErrorCode.ActiveContent]: HttpStatus.UNPROCESSABLE_ENTITY,
  [MaterialErrorCode.Polyglot]: HttpStatus.UNPROCESSABLE_ENTITY,
  [MaterialErrorCode.HeicUnreadable]: HttpStatus.UNPROCESSABLE_ENTITY,
};

export function statusOf(code: string): HttpStatus | undefined {
  return (STATUS_OF_CODE as Record<string, HttpStatus>)[code];
}
