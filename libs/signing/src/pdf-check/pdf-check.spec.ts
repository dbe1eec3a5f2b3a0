import { randomBytes } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { encodeDer, integer, oid, sequence, contextTag } from '../cms/der';
import { contentsSizeFor, signPreparedPdf } from '../pdf/pdf-signing';
import { addSignatureFields, type PreparedSignatures } from '../pdf/signature-fields';
import { checkPdfSignatures, PdfCheckError, type PdfCheck, type TrustAnchors } from './pdf-check';
import { fillSignaturePlaceholder } from './testing/signature-placeholder';
import { makeTestParty, signerInputOf, type TestParty } from './testing/test-certificates';
import { seededRandom } from '../../../../db/seeded-random';

/** What `checkPdfSignatures` makes of `file`: its result, or the code of the PdfCheckError it rejects with. */
async function outcome(file: Buffer, anchors: TrustAnchors): Promise<PdfCheck | PdfCheckError['code']> {
  try {
    return await checkPdfSignatures(file, anchors);
  } catch (error) {
    if (error instanceof PdfCheckError) return error.code;
    throw error;
  }
}

async function plainPdf(useObjectStreams = true): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.addPage().drawText('居住证明'.length + ' lines of text');
  return Buffer.from(await doc.save({ useObjectStreams }));
}

/**
 * Appends objects in an incremental update. pdf-lib reads a file object by object, so the xref
 * section of the update is left out; the objects are what these tests are about.
 */
async function withObjects(objects: [number, string][]): Promise<Buffer> {
  const base = await plainPdf(false);
  const root = (await PDFDocument.load(base)).context.trailerInfo.Root;
  if (!root) throw new Error('pdf-lib wrote no /Root');
  const body = objects.map(([number, text]) => `${number} 0 obj\n${text}\nendobj\n`).join('');
  return Buffer.concat([
    base,
    Buffer.from(`\n${body}trailer\n<< /Root ${root.toString()} /Size 200 >>\nstartxref\n0\n%%EOF\n`),
  ]);
}

describe(checkPdfSignatures.name, () => {
  let root: TestParty;
  let issuing: TestParty;
  let anchors: TrustAnchors;
  let prepared: PreparedSignatures;
  let unsigned: Buffer;
  let signed: Buffer;

  beforeAll(async () => {
    root = await makeTestParty('正明测试根证书', null, { ca: true });
    issuing = await makeTestParty('正明测试签发证书', root, { ca: true });
    const seal = await makeTestParty('光明社区居民委员会电子印章', issuing);
    anchors = { root: root.certificate, intermediates: [issuing.certificate] };

    const doc = await PDFDocument.create();
    doc.addPage().drawText('Certificate of residence');
    const input = signerInputOf(seal, [issuing, root]);
    prepared = addSignatureFields(
      doc,
      [{ name: 'committee', pageIndex: 0, rect: { x: 380, y: 80, width: 140, height: 140 } }],
      {
        signedAt: new Date(),
        reason: '出具居住证明',
        contentsSize: contentsSizeFor([input.certificate, ...input.chain], 'ec-p256'),
      },
    );
    unsigned = Buffer.from(await doc.save({ useObjectStreams: false }));
    signed = await signPreparedPdf(unsigned, prepared, input);
  });

  it('reads a signed PDF: one intact, trusted signature over the whole file', async () => {
    const sut = await checkPdfSignatures(signed, anchors);
    expect(sut.signatures).toEqual([
      expect.objectContaining({ fieldName: 'committee', intact: true, coversWholeFile: true, chainsToRoot: true }),
    ]);
    expect(sut.signatures[0].problems).toEqual([]);
    expect(sut.signatures[0].revisionSha256).toBe(sut.sha256);
  });

  it.each([
    ['an empty file', Buffer.alloc(0)],
    ['plain text', Buffer.from('这不是PDF文件\n')],
    ['random bytes', randomBytes(4096)],
    ['a PNG', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')],
    ['a header further in than readers look', Buffer.concat([Buffer.alloc(2048, 0x20), Buffer.from('%PDF-1.7\n')])],
  ])('%s is not a PDF', async (_name, file) => {
    expect(await outcome(file, anchors)).toBe('not_pdf');
  });

  it.each([
    ['a header and nothing else', () => Buffer.from('%PDF-1.7\n')],
    ['a header, noise and an end marker', () => Buffer.from('%PDF-1.7\n' + 'x'.repeat(100) + '\n%%EOF\n')],
    ['a PDF cut in half', () => signed.subarray(0, Math.floor(signed.length / 2))],
    ['a PDF without its last line', () => signed.subarray(0, signed.lastIndexOf('%%EOF'))],
    ['a header and random bytes', () => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(8192)])],
  ])('%s is malformed', async (_name, file) => {
    expect(await outcome(file(), anchors)).toBe('malformed');
  });

  it('a PDF without signatures, with or without object streams, has an empty list', async () => {
    for (const file of [await plainPdf(true), await plainPdf(false)]) {
      expect((await checkPdfSignatures(file, anchors)).signatures).toEqual([]);
    }
  });

  it.each([
    ['a range past the end of the file', '[0 99999999 5 5]'],
    ['a negative offset', '[-1 10 20 5]'],
    ['a fraction', '[0 10.5 20 5]'],
    ['three numbers', '[0 10 20]'],
    ['overlapping ranges', '[0 30 20 5]'],
    ['a string among the numbers', '[0 (10) 20 5]'],
    ['a number instead of an array', '42'],
    ['the largest safe integer as a length', '[0 10 20 9007199254740991]'],
  ])('a ByteRange with %s is reported, not thrown', async (_name, byteRange) => {
    const file = await withObjects([
      [90, `<< /FT /Sig /T (seal) /V 91 0 R >>`],
      [91, `<< /Type /Sig /ByteRange ${byteRange} /Contents <3003020101> /M (D:20240501093000+08'00') >>`],
    ]);

    const sut = await checkPdfSignatures(file, anchors);

    expect(sut.signatures).toEqual([
      {
        fieldName: 'seal',
        signer: null,
        signingTime: new Date('2024-05-01T01:30:00Z'),
        timestamp: null,
        intact: false,
        coversWholeFile: false,
        chainsToRoot: false,
        revisionSha256: expect.any(String),
        problems: ['byte_range_invalid'],
      },
    ]);
  });

  it('finds a signature dictionary written directly as the field value, and orders signatures as written', async () => {
    // Object 95 is written before object 92: the file's order, not the object numbers, decides.
    const file = await withObjects([
      [95, `<< /Type /Sig /ByteRange [0 1 2 3] /Contents <00> /M (D:20240501000000Z) >>`],
      [92, `<< /FT /Sig /T <FEFF5BA162794EBA> /V << /ByteRange [0 1 2 3] /Contents <00> /M (D:20240502000000Z) >> >>`],
    ]);

    const sut = await checkPdfSignatures(file, anchors);

    expect(sut.signatures.map(({ fieldName, signingTime }) => ({ fieldName, signingTime }))).toEqual([
      { fieldName: null, signingTime: new Date('2024-05-01T00:00:00Z') },
      { fieldName: '审批人', signingTime: new Date('2024-05-02T00:00:00Z') },
    ]);
  });

  it('ignores document timestamps and dictionaries that only look like signatures', async () => {
    const file = await withObjects([
      [90, `<< /Type /DocTimeStamp /ByteRange [0 1 2 3] /Contents <00> >>`],
      [91, `<< /ByteRange [0 1 2 3] >>`],
      [92, `<< /Type /Annot /Contents (a comment) >>`],
    ]);
    expect((await checkPdfSignatures(file, anchors)).signatures).toEqual([]);
  });

  it('refuses a file with more signature dictionaries than any certificate has', async () => {
    const signatures = Array.from({ length: 40 }, (_, i): [number, string] => [
      100 + i,
      '<< /Type /Sig /ByteRange [0 1 2 3] /Contents <00> >>',
    ]);
    expect(await outcome(await withObjects(signatures), anchors)).toBe('malformed');
  });

  it.each([
    ['random bytes', () => randomBytes(600)],
    ['a SEQUENCE that is no ContentInfo', () => encodeDer(sequence([integer(1)]))],
    ['a ContentInfo of plain data', () => encodeDer(sequence([oid('1.2.840.113549.1.7.1'), contextTag(0, [])]))],
    ['a SignedData with nothing in it', () => encodeDer(sequence([oid('1.2.840.113549.1.7.2'), contextTag(0, [])]))],
    ['nothing at all', () => Buffer.alloc(0)],
  ])('%s in /Contents is an unparsable CMS', async (_name, cms) => {
    const file = fillSignaturePlaceholder(unsigned, prepared, () => cms());

    const [sut] = (await checkPdfSignatures(file, anchors)).signatures;

    expect(sut).toMatchObject({ intact: false, coversWholeFile: true, chainsToRoot: false, signer: null });
    expect(sut.problems).toEqual(['cms_unparsable']);
  });

  it('never throws anything but PdfCheckError, and reports a problem for every flag that is false', async () => {
    const random = seededRandom(20240501);
    const pick = (n: number) => Math.floor(random() * n);
    const mutations: ((file: Buffer) => Buffer)[] = [
      (file) => {
        const copy = Buffer.from(file);
        for (let i = 0, n = 1 + pick(8); i < n; i++) copy[pick(copy.length)] = pick(256);
        return copy;
      },
      (file) => file.subarray(0, pick(file.length)),
      (file) => {
        const at = pick(file.length);
        return Buffer.concat([file.subarray(0, at), randomBytes(pick(64)), file.subarray(at)]);
      },
      (file) => {
        const at = pick(file.length);
        return Buffer.concat([file.subarray(0, at), file.subarray(at + 1 + pick(64))]);
      },
      (file) => {
        // Digits are what offsets and lengths are made of.
        const copy = Buffer.from(file);
        for (let i = 0; i < 4; i++) {
          const at = pick(copy.length);
          if (copy[at] >= 0x30 && copy[at] <= 0x39) copy[at] = 0x30 + pick(10);
        }
        return copy;
      },
    ];
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const result = await outcome(mutations[i % mutations.length](signed), anchors);
      if (typeof result === 'string') {
        seen.add(result);
        continue;
      }
      for (const signature of result.signatures) {
        const allTrue = signature.intact && signature.coversWholeFile && signature.chainsToRoot;
        expect({ i, allTrue, problems: signature.problems.length > 0 }).toEqual({ i, allTrue, problems: !allTrue });
        signature.problems.forEach((problem) => seen.add(problem));
      }
    }
    expect(seen).toContain('malformed');
    expect(seen).toContain('digest_mismatch');
  });
});
