import { PDFDocument } from 'pdf-lib';
import type { CmsSignerInput } from '../cms/cades-signed-data';
import { appendPdfSignature, signPreparedPdf } from './pdf-signing';
import { pdfDate } from './signature-dictionary';
import { addSignatureFields, type SignatureFieldSpec } from './signature-fields';

const fields: SignatureFieldSpec[] = [
  { name: 'committee', pageIndex: 0, rect: { x: 380, y: 80, width: 140, height: 140 } },
  { name: 'district', pageIndex: 0, rect: { x: 80, y: 80, width: 140, height: 140 } },
];
const info = { signedAt: new Date('2024-05-01T01:30:00Z'), reason: '出具居住证明', contentsSize: 4000 };

/** Never reached: these tests stop before any signature is made. */
const unusedSigner: CmsSignerInput = {
  signer: { algorithm: 'ec-p256', sign: () => Promise.reject(new Error('not expected to sign')) },
  certificate: Buffer.alloc(0),
  chain: [],
};

async function onePageDocument(): Promise<PDFDocument> {
  const doc = await PDFDocument.create();
  doc.addPage();
  return doc;
}

describe(addSignatureFields.name, () => {
  it('returns plain data that survives the trip to another thread', async () => {
    const sut = addSignatureFields(await onePageDocument(), fields, info);
    expect(structuredClone(sut)).toEqual(sut);
    expect(JSON.parse(JSON.stringify(sut))).toEqual(JSON.parse(JSON.stringify(structuredClone(sut))));
    expect(sut.fields.map((field) => field.name)).toEqual(['committee', 'district']);
    expect(sut.fields[0].dictionary).toBeUndefined();
    expect(sut.fields[1].dictionary).toMatch(/^<<\n\/Type \/Annot\n[\s\S]*\/FT \/Sig\n[\s\S]*>>$/);
  });

  it('writes an AcroForm with SigFlags 3, invisible widgets and a CAdES signature dictionary with Chinese text', async () => {
    const doc = await onePageDocument();
    const sut = addSignatureFields(doc, fields, { ...info, location: '增城', signerName: '光明社区居民委员会' });
    const text = Buffer.from(await doc.save({ useObjectStreams: false })).toString('latin1');
    const refs = sut.fields.map((field) => `${field.objectNumber} ${field.generation} R`).join(' ');
    expect(text).toContain('/SigFlags 3');
    expect(text).toContain(`/Fields [ ${refs} ]`);
    expect(text).toContain(`/Annots [ ${refs} ]`);
    expect(text).toContain('/SubFilter /ETSI.CAdES.detached');
    expect(text).toContain("/M (D:20240501093000+08'00')");
    expect(text).toContain('/Reason <FEFF51FA51775C454F4F8BC1660E>');
    expect(text).toContain('/Location <FEFF589E57CE>');
    expect(text).toContain(`/Contents <${'0'.repeat(8000)}>`);
    expect(text).not.toContain('/MK');
    expect(text).not.toContain('/Border');
  });

  it('refuses field names a reader would split or that repeat, and pages that do not exist', async () => {
    const doc = await onePageDocument();
    expect(() => addSignatureFields(doc, [{ ...fields[0], name: 'a.b' }], info)).toThrow('must match');
    expect(() => addSignatureFields(doc, [fields[0], fields[0]], info)).toThrow('used twice');
    expect(() => addSignatureFields(doc, [{ ...fields[0], pageIndex: 1 }], info)).toThrow('the document has 1');
    expect(() => addSignatureFields(doc, [], info)).toThrow('At least one');
  });
});

describe(signPreparedPdf.name, () => {
  it('refuses a document saved with object streams, where the placeholder is compressed away', async () => {
    const doc = await onePageDocument();
    const prepared = addSignatureFields(doc, fields, info);
    const saved = await doc.save({ useObjectStreams: true });
    await expect(signPreparedPdf(saved, prepared, unusedSigner)).rejects.toThrow('useObjectStreams: false');
  });
});

describe(appendPdfSignature.name, () => {
  it('refuses the first field and fields it does not know', async () => {
    const doc = await onePageDocument();
    const prepared = addSignatureFields(doc, fields, info);
    const saved = await doc.save({ useObjectStreams: false });
    await expect(appendPdfSignature(saved, prepared, 'committee', info, unusedSigner)).rejects.toThrow(
      'the one signPreparedPdf signs',
    );
    await expect(appendPdfSignature(saved, prepared, 'village', info, unusedSigner)).rejects.toThrow(
      'No signature field',
    );
  });

  it('refuses a document whose last cross-reference section is a stream', async () => {
    const doc = await onePageDocument();
    const prepared = addSignatureFields(doc, fields, info);
    const saved = await doc.save({ useObjectStreams: true });
    await expect(appendPdfSignature(saved, prepared, 'district', info, unusedSigner)).rejects.toThrow(
      'classic trailer',
    );
  });
});

describe(pdfDate.name, () => {
  it("writes the instant in China Standard Time with the +08'00' offset", () => {
    expect(pdfDate(new Date('2024-05-01T01:30:05Z'))).toBe("D:20240501093005+08'00'");
    expect(pdfDate(new Date('2024-12-31T16:00:00Z'))).toBe("D:20250101000000+08'00'");
  });

  it('writes other offsets when asked, west of Greenwich too', () => {
    expect(pdfDate(new Date('2024-05-01T01:30:00Z'), -330)).toBe("D:20240430200000-05'30'");
    expect(pdfDate(new Date('2024-05-01T01:30:00Z'), 0)).toBe("D:20240501013000+00'00'");
  });
});
