import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum IdentityErrorCode {
  AuthRequired = 'AUTH_REQUIRED',
  TokenInvalid = 'AUTH_TOKEN_INVALID',
  TokenExpired = 'AUTH_TOKEN_EXPIRED',
  Forbidden = 'AUTH_FORBIDDEN',
  OutOfScope = 'AUTH_OUT_OF_SCOPE',
  RateLimited = 'AUTH_RATE_LIMITED',
  LoginFailed = 'AUTH_LOGIN_FAILED',
  ProviderUnavailable = 'AUTH_PROVIDER_UNAVAILABLE',
  CsrfRejected = 'AUTH_CSRF_REJECTED',
  IdentityInvalid = 'AUTH_IDENTITY_INVALID',
  ApiKeyInvalid = 'API_KEY_INVALID',
  ApiKeyRevoked = 'API_KEY_REVOKED',
  ApiKeyRateLimited = 'API_KEY_RATE_LIMITED',
  ApiKeyNotFound = 'API_KEY_NOT_FOUND',
  IdNumberInvalid = 'ID_NUMBER_INVALID',
  PhoneInvalid = 'PHONE_INVALID',
  CreditCodeInvalid = 'CREDIT_CODE_INVALID',
  PersonNotFound = 'PERSON_NOT_FOUND',
  StaffRoleLevelMismatch = 'STAFF_ROLE_LEVEL_MISMATCH',
  StaffRoleExists = 'STAFF_ROLE_EXISTS',
  StaffRoleNotFound = 'STAFF_ROLE_NOT_FOUND',
  InstitutionNotFound = 'VERIFIER_INSTITUTION_NOT_FOUND',
  InstitutionExists = 'VERIFIER_INSTITUTION_EXISTS',
  AuditQueryInvalid = 'AUDIT_QUERY_INVALID',
}

export const identityErrorMessages: MessageCatalogue<IdentityErrorCode> = {
  [IdentityErrorCode.AuthRequired]: '请先登录',
  [IdentityErrorCode.TokenInvalid]: '登录凭证无效，请重新登录',
  [IdentityErrorCode.TokenExpired]: '登录已过期，请重新登录',
  [IdentityErrorCode.Forbidden]: '您没有执行此操作的权限',
  [IdentityErrorCode.OutOfScope]: '该数据不属于您所在的机构，无权访问',
  [IdentityErrorCode.RateLimited]: '尝试次数过多，请稍后再试',
  [IdentityErrorCode.LoginFailed]: '登录未完成或已失效，请重新登录',
  [IdentityErrorCode.ProviderUnavailable]: '可信认证平台暂时无法访问，请稍后再试',
  [IdentityErrorCode.CsrfRejected]: '请求来源无法确认，已拒绝',
  [IdentityErrorCode.IdentityInvalid]: '认证平台返回的身份信息不完整或有误',
  [IdentityErrorCode.ApiKeyInvalid]: 'API 密钥无效',
  [IdentityErrorCode.ApiKeyRevoked]: 'API 密钥已被吊销',
  [IdentityErrorCode.ApiKeyRateLimited]: '该 API 密钥的请求过于频繁，请稍后再试',
  [IdentityErrorCode.ApiKeyNotFound]: '未找到该 API 密钥',
  [IdentityErrorCode.IdNumberInvalid]: '身份证号码有误，请核对',
  [IdentityErrorCode.PhoneInvalid]: '手机号码有误，请核对',
  [IdentityErrorCode.CreditCodeInvalid]: '统一社会信用代码有误，请核对',
  [IdentityErrorCode.PersonNotFound]: '未找到该人员',
  [IdentityErrorCode.StaffRoleLevelMismatch]: '该角色不能设在这一级机构',
  [IdentityErrorCode.StaffRoleExists]: '该人员在此机构已有这一角色',
  [IdentityErrorCode.StaffRoleNotFound]: '未找到该角色授权',
  [IdentityErrorCode.InstitutionNotFound]: '未找到该核验机构',
  [IdentityErrorCode.InstitutionExists]: '该统一社会信用代码的核验机构已登记',
  [IdentityErrorCode.AuditQueryInvalid]: '审计日志查询条件有误',
};

export class IdentityException extends DomainException<IdentityErrorCode> {
  constructor(code: IdentityErrorCode, details?: unknown) {
    super(code, identityErrorMessages[code], details);
  }
}
