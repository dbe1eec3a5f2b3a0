import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum SigningErrorCode {
  PkiNotInitialized = 'PKI_NOT_INITIALIZED',
  SealNotFound = 'SEAL_NOT_FOUND',
  SealNotActive = 'SEAL_NOT_ACTIVE',
  KeyStoreMismatch = 'SIGNING_KEY_STORE_MISMATCH',
}

export const signingErrorMessages: MessageCatalogue<SigningErrorCode> = {
  [SigningErrorCode.PkiNotInitialized]: '电子证明平台的证书体系尚未建立，请先运行 npm run pki:init',
  [SigningErrorCode.SealNotFound]: '未找到该电子印章',
  [SigningErrorCode.SealNotActive]: '该村（居）委会的电子印章已暂停或注销，暂不能出具证明',
  [SigningErrorCode.KeyStoreMismatch]: '签名密钥不在当前配置的密钥库中',
};

export class SigningException extends DomainException<SigningErrorCode> {
  constructor(code: SigningErrorCode, details?: unknown) {
    super(code, signingErrorMessages[code], details);
  }
}
