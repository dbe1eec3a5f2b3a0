import { PDFDocument, StandardFonts } from 'pdf-lib';
import { addSignatureFields, contentsSizeFor, signPreparedPdf } from '@zhengming/signing';
import { makeOpensslTestPki } from '../../libs/signing/src/cms/testing/openssl-test-pki';

/**
 * A PDF carrying the text of `certificateNumber`, properly signed as PAdES by a seal of a PKI made
 * with the OpenSSL CLI: cryptographically sound, but not the district's. What a forger with their own
 * CA would produce.
 */
export async function pdfSignedOutsideTheDistrict(certificateNumber: string): Promise<Buffer> {
  const pki = makeOpensslTestPki('ec-p256', ['城南社区居民委员会电子印章']);
  try {
    const [seal] = pki.signers;
    const doc = await PDFDocument.create();
    const page = doc.addPage([595, 842]);
    const font = await doc.embedFont(StandardFonts.Helvetica);
    page.drawText(`Certificate No. ${certificateNumber}`, { x: 50, y: 760, size: 14, font });
    const prepared = addSignatureFields(
      doc,
      [{ name: 'seal', pageIndex: 0, rect: { x: 380, y: 80, width: 140, height: 140 } }],
      {
        signedAt: new Date(),
        reason: '出具证明',
        location: '广东省广州市增城区',
        signerName: seal.commonName,
        contentsSize: contentsSizeFor([seal.input.certificate, ...seal.input.chain], 'ec-p256'),
      },
    );
    return await signPreparedPdf(Buffer.from(await doc.save({ useObjectStreams: false })), prepared, seal.input);
  } finally {
    pki.remove();
  }
}
