export {
  addSignatureFields,
  type PreparedSignatures,
  type PreparedSignatureField,
  type SignatureFieldSpec,
} from './signature-fields';
export { pdfDate, type SignatureInfo } from './signature-dictionary';
export { appendPdfSignature, contentsSizeFor, signPreparedPdf } from './pdf-signing';
export { signPdfIncrementally, type VisibleSignature } from './incremental-signature';
