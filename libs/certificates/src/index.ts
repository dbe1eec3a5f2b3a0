export * from './certificate-number';
export * from './certificate.entity';
export * from './certificates.exception';
export * from './certificates.service';
export * from './certificates.module';
export * from './issuing/certificate-issuer';
export * from './issuing/issuance-listeners';
export * from './issuing/certificate-renderer';
export * from './issuing/render-document';
export {
  fillTemplate,
  renderCertificate,
  renderSealImage,
  SEAL_DIAMETER,
  type CertificateRenderInput,
  type SealArtwork,
} from './rendering';
export { loadFont, pdfLibFontkit, type LoadedFont } from './rendering/fonts';
