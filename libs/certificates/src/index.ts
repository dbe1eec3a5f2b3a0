export * from './certificate-number';
export * from './certificate.entity';
export * from './certificates.exception';
export * from './certificates.service';
export * from './certificates.module';
export * from './issuing/certificate-issuer';
export * from './issuing/certificate-renderer';
export * from './issuing/render-document';
export { fillTemplate, renderCertificate, type CertificateRenderInput } from './rendering';
