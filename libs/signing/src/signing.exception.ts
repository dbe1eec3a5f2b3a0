import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum SigningErrorCode {
  PkiNotInitialized = 'PKI_NOT_INITIALIZED',
  SealNotFound = 'SEAL_NOT_FOUND',
  SealSuspended = 'SEAL_SUSPENDED',
  SealRevoked = 'SEAL_REVOKED',
  SealCertificateNotCurrent = 'SEAL_CERTIFICATE_NOT_CURRENT',
  KeyStoreMismatch = 'SIGNING_KEY_STORE_MISMATCH',
}

export const signingErrorMessages: MessageCatalogue<SigningErrorCode> = {
  [SigningErrorCode.PkiNotInitialized]: '电子证明平台的证书体系尚未建立，请先运行 npm run pki:init',
  [SigningErrorCode.SealNotFound]: '未找到该电子印章',
  [SigningErrorCode.SealSuspended]: '该电子印章已暂停使用，恢复前不能用印',
  [SigningErrorCode.SealRevoked]: '该电子印章已注销，不能再用印',
  [SigningErrorCode.SealCertificateNotCurrent]: '该电子印章的证书不在有效期内，请先为印章更新证书',
  [SigningErrorCode.KeyStoreMismatch]: '签名密钥不在当前配置的密钥库中',
};

export class SigningException extends DomainException<SigningErrorCode> {
  constructor(code: SigningErrorCode, details?: unknown) {
    super(code, signingErrorMessages[code], details);
  }
}
