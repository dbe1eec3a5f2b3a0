export {
  renderCertificate,
  type CertificateRenderInput,
  type Rect,
  type RenderedCertificate,
} from './certificate-renderer';
export {
  chineseDateOf,
  chineseDateOfInstant,
  fillTemplate,
  type FilledBlock,
  type FilledTemplate,
} from './fill-template';
export { encodeVerificationQr, MAX_QR_VERSION, type QrSymbol } from './verification-qr';
export { renderSealImage, SEAL_DIAMETER, type SealArtwork } from './seal-artwork';
