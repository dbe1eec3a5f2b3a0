export {
  checkPdfSignatures,
  loadReadablePdf,
  PdfCheckError,
  type PdfCheck,
  type PdfCheckErrorCode,
  type SignatureCheck,
  type SignatureProblem,
  type SignerSummary,
  type TimestampCheck,
  type TrustAnchors,
} from './pdf-check';
