import type { PreparedSignatures } from '../../pdf/signature-fields';

/**
 * Fills the first signature's placeholders as `signPreparedPdf` does, but with a CMS made elsewhere
 * (by OpenSSL, or deliberately broken): `makeCms` gets the bytes the ByteRange covers.
 */
export function fillSignaturePlaceholder(
  unsigned: Buffer,
  prepared: PreparedSignatures,
  makeCms: (signedBytes: Buffer) => Buffer,
): Buffer {
  const file = Buffer.from(unsigned);
  const placeholder = prepared.byteRangePlaceholder;
  const byteRangeAt = file.indexOf(placeholder, 0, 'latin1');
  if (byteRangeAt < 0) throw new Error('No signature placeholder in this PDF');
  // signatureDictionary writes /Contents right after /ByteRange: "\n/Contents <".
  const contentsStart = byteRangeAt + placeholder.length + '\n/Contents '.length;
  const afterContents = contentsStart + 2 + prepared.contentsSize * 2;
  const ranges = [0, contentsStart, afterContents, file.length - afterContents];
  file.write(`[${ranges.join(' ')}]`.padEnd(placeholder.length, ' '), byteRangeAt, 'latin1');
  const cms = makeCms(Buffer.concat([file.subarray(0, contentsStart), file.subarray(afterContents)]));
  if (cms.length > prepared.contentsSize) throw new Error(`A ${cms.length}-byte CMS does not fit`);
  file.write(cms.toString('hex'), contentsStart + 1, 'latin1');
  return file;
}
