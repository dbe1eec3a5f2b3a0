import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum VerificationErrorCode {
  RateLimited = 'VERIFICATION_RATE_LIMITED',
  PdfNotPdf = 'PDF_NOT_PDF',
  PdfMalformed = 'PDF_MALFORMED',
  PdfEncrypted = 'PDF_ENCRYPTED',
  PdfTooLarge = 'PDF_TOO_LARGE',
}

export const verificationErrorMessages: MessageCatalogue<VerificationErrorCode> = {
  [VerificationErrorCode.RateLimited]: '核验过于频繁，请稍后再试',
  [VerificationErrorCode.PdfNotPdf]: '上传的文件不是 PDF',
  [VerificationErrorCode.PdfMalformed]: 'PDF 文件已损坏，无法读取',
  [VerificationErrorCode.PdfEncrypted]: 'PDF 文件已加密，无法核验；请上传出具时的原始文件',
  [VerificationErrorCode.PdfTooLarge]: 'PDF 文件过大（电子证明不超过 10 MB）',
};

export class VerificationException extends DomainException<VerificationErrorCode> {
  constructor(code: VerificationErrorCode, details?: unknown) {
    super(code, verificationErrorMessages[code], details);
  }
}
