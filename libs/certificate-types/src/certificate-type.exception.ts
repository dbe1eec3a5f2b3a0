import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum CertificateTypeErrorCode {
  NotFound = 'CERTIFICATE_TYPE_NOT_FOUND',
  DefinitionInvalid = 'CERTIFICATE_TYPE_DEFINITION_INVALID',
  FormInvalid = 'APPLICATION_FORM_INVALID',
}

const messages: MessageCatalogue<CertificateTypeErrorCode> = {
  [CertificateTypeErrorCode.NotFound]: '未找到该证明事项',
  [CertificateTypeErrorCode.DefinitionInvalid]: '证明事项的定义不完整或有误',
  [CertificateTypeErrorCode.FormInvalid]: '申请表填写有误，请按提示修改',
};

export class CertificateTypeException extends DomainException<CertificateTypeErrorCode> {
  constructor(code: CertificateTypeErrorCode, details?: unknown) {
    super(code, messages[code], details);
  }
}
