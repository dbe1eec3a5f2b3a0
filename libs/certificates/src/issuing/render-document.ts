import { addSignatureFields, type PreparedSignatures, type SignatureInfo } from '@zhengming/signing';
import { renderCertificate, type CertificateRenderInput } from '../rendering';

export const SEAL_FIELD = 'committee-seal';
export const APPROVER_FIELD = 'approver-signature';

/** What the rendering thread receives: plain data only (it crosses a worker_threads boundary). */
export interface RenderJob {
  certificate: CertificateRenderInput;
  /** The committee seal's signature dictionary, written with the document so it signs in place. */
  sealSignature: SignatureInfo;
}

export interface RenderedDocument {
  pdf: Uint8Array;
  prepared: PreparedSignatures;
}

/**
 * Renders the certificate and saves it with both signature fields in place: the seal's signature
 * dictionary is part of the first revision, the approver's field waits for its incremental update.
 * A classic cross-reference table (no object streams) keeps the later byte patching simple.
 */
export async function renderDocument(job: RenderJob): Promise<RenderedDocument> {
  const rendered = await renderCertificate(job.certificate);
  const prepared = addSignatureFields(
    rendered.doc,
    [
      { name: SEAL_FIELD, pageIndex: rendered.pageIndex, rect: rendered.sealRect },
      { name: APPROVER_FIELD, pageIndex: rendered.pageIndex, rect: rendered.approverRect },
    ],
    job.sealSignature,
  );
  const pdf = await rendered.doc.save({ useObjectStreams: false, updateFieldAppearances: false });
  return { pdf, prepared };
}
