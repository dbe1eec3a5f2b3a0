import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum CertificateErrorCode {
  NotIssued = 'CERTIFICATE_NOT_ISSUED',
  NotFound = 'CERTIFICATE_NOT_FOUND',
  ApplicationNotApproved = 'CERTIFICATE_APPLICATION_NOT_APPROVED',
  TemplateMissing = 'CERTIFICATE_TEMPLATE_MISSING',
  SerialsExhausted = 'CERTIFICATE_SERIALS_EXHAUSTED',
  AlreadyRevoked = 'CERTIFICATE_ALREADY_REVOKED',
}

export const certificateErrorMessages: MessageCatalogue<CertificateErrorCode> = {
  [CertificateErrorCode.NotIssued]: '证明尚未出具，请稍后再试',
  [CertificateErrorCode.NotFound]: '未找到该证明',
  [CertificateErrorCode.ApplicationNotApproved]: '申请尚未审批通过，不能出具证明',
  [CertificateErrorCode.TemplateMissing]: '该证明事项没有证明模板，请联系区级管理员',
  [CertificateErrorCode.SerialsExhausted]: '本年度该类证明的编号已用完，请联系区级管理员',
  [CertificateErrorCode.AlreadyRevoked]: '该证明已经撤销',
};

export class CertificateException extends DomainException<CertificateErrorCode> {
  constructor(code: CertificateErrorCode, details?: unknown) {
    super(code, certificateErrorMessages[code], details);
  }
}
