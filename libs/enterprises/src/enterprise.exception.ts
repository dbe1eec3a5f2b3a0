import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum EnterpriseErrorCode {
  NotAnEnterprise = 'ENTERPRISE_CODE_NOT_ENTERPRISE',
  ApplicationNotFound = 'ENTERPRISE_APPLICATION_NOT_FOUND',
  ApplicationDecided = 'ENTERPRISE_APPLICATION_DECIDED',
  ApplicationPending = 'ENTERPRISE_APPLICATION_PENDING',
  NotLegalRepresentative = 'ENTERPRISE_NOT_LEGAL_REPRESENTATIVE',
  SealKindHeld = 'ENTERPRISE_SEAL_KIND_HELD',
  SealNotFound = 'ENTERPRISE_SEAL_NOT_FOUND',
  SealUserNotFound = 'ENTERPRISE_SEAL_USER_NOT_FOUND',
  SealUserExists = 'ENTERPRISE_SEAL_USER_EXISTS',
  ApiKeyNotFound = 'ENTERPRISE_API_KEY_NOT_FOUND',
  UseNotAuthorized = 'SEAL_USE_NOT_AUTHORIZED',
  UseNotPdf = 'SEAL_USE_NOT_PDF',
  UsePdfMalformed = 'SEAL_USE_PDF_MALFORMED',
  UsePdfEncrypted = 'SEAL_USE_PDF_ENCRYPTED',
  UsePdfTooLarge = 'SEAL_USE_PDF_TOO_LARGE',
  UsePageOutOfRange = 'SEAL_USE_PAGE_OUT_OF_RANGE',
  UsePositionOffPage = 'SEAL_USE_POSITION_OFF_PAGE',
  UseTimestampUnavailable = 'SEAL_USE_TIMESTAMP_UNAVAILABLE',
}

export const enterpriseErrorMessages: MessageCatalogue<EnterpriseErrorCode> = {
  [EnterpriseErrorCode.NotAnEnterprise]: '该统一社会信用代码不属于企业（应以 91、92 或 93 开头），不能申请企业电子印章',
  [EnterpriseErrorCode.ApplicationNotFound]: '未找到该印章申请',
  [EnterpriseErrorCode.ApplicationDecided]: '该印章申请已审核，不能重复处理',
  [EnterpriseErrorCode.ApplicationPending]: '该企业已有一份待审核的印章申请',
  [EnterpriseErrorCode.NotLegalRepresentative]: '只有企业的法定代表人可以办理此事项',
  [EnterpriseErrorCode.SealKindHeld]: '该企业已持有这类印章，不能重复申请',
  [EnterpriseErrorCode.SealNotFound]: '未找到该企业电子印章',
  [EnterpriseErrorCode.SealUserNotFound]: '未找到该用章人',
  [EnterpriseErrorCode.SealUserExists]: '该人员已是此印章的用章人',
  [EnterpriseErrorCode.ApiKeyNotFound]: '未找到该 API 密钥',
  [EnterpriseErrorCode.UseNotAuthorized]: '您未获得该印章的用章授权，不能用章',
  [EnterpriseErrorCode.UseNotPdf]: '上传的文件不是 PDF，只能对 PDF 文件用章',
  [EnterpriseErrorCode.UsePdfMalformed]: 'PDF 文件已损坏，无法读取',
  [EnterpriseErrorCode.UsePdfEncrypted]: 'PDF 文件已加密，请上传未加密的文件',
  [EnterpriseErrorCode.UsePdfTooLarge]: 'PDF 文件过大',
  [EnterpriseErrorCode.UsePageOutOfRange]: '文件没有这一页，请核对盖章页码',
  [EnterpriseErrorCode.UsePositionOffPage]: '印章位置超出了页面，请核对盖章位置',
  [EnterpriseErrorCode.UseTimestampUnavailable]: '时间戳服务暂时不可用，本次未盖章，请稍后再试',
};

export class EnterpriseException extends DomainException<EnterpriseErrorCode> {
  constructor(code: EnterpriseErrorCode, details?: unknown) {
    super(code, enterpriseErrorMessages[code], details);
  }
}
