import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum SigningErrorCode {
  PkiNotInitialized = 'PKI_NOT_INITIALIZED',
  SealNotFound = 'SEAL_NOT_FOUND',
  SealSuspended = 'SEAL_SUSPENDED',
  SealRevoked = 'SEAL_REVOKED',
  SealCertificateNotCurrent = 'SEAL_CERTIFICATE_NOT_CURRENT',
  KeyStoreMismatch = 'SIGNING_KEY_STORE_MISMATCH',
  CrlIssuerNotFound = 'CRL_ISSUER_NOT_FOUND',
  SealStatusConflict = 'SEAL_STATUS_CONFLICT',
  SealAlreadyRevoked = 'SEAL_ALREADY_REVOKED',
}

export const signingErrorMessages: MessageCatalogue<SigningErrorCode> = {
  [SigningErrorCode.PkiNotInitialized]: '电子证明平台的证书体系尚未建立，请先运行 npm run pki:init',
  [SigningErrorCode.SealNotFound]: '未找到该电子印章',
  [SigningErrorCode.SealSuspended]: '该电子印章已暂停使用，恢复前不能用印',
  [SigningErrorCode.SealRevoked]: '该电子印章已注销，不能再用印',
  [SigningErrorCode.SealCertificateNotCurrent]: '该电子印章的证书不在有效期内，请先为印章更新证书',
  [SigningErrorCode.KeyStoreMismatch]: '签名密钥不在当前配置的密钥库中',
  [SigningErrorCode.CrlIssuerNotFound]: '未找到该证书签发机构的证书吊销列表',
  [SigningErrorCode.SealStatusConflict]: '该电子印章当前的状态不允许此操作',
  [SigningErrorCode.SealAlreadyRevoked]: '该电子印章已注销，注销后不能恢复、更新证书或更换密钥',
};

export class SigningException extends DomainException<SigningErrorCode> {
  constructor(code: SigningErrorCode, details?: unknown) {
    super(code, signingErrorMessages[code], details);
  }
}
