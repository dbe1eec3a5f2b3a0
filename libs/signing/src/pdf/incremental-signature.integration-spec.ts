import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { degrees, PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { makeOpensslTestPki, type OpensslTestPki } from '../cms/testing/openssl-test-pki';
import { loadReadablePdf } from '../pdf-check';
import { signPdfIncrementally } from './incremental-signature';
import { contentsSizeFor } from './pdf-signing';

const SEAL = '广州增城示例科技有限公司合同专用章';

/** A small stand-in for the seal image: a one-page PDF with a red ring and a bar at its top, to see which way is up. */
async function sealImage(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([119, 119]);
  page.drawRectangle({
    x: 30,
    y: 85,
    width: 59,
    height: 20,
    color: { type: 'RGB', red: 0.85, green: 0.09, blue: 0.11 } as never,
  });
  page.drawCircle({
    x: 59.5,
    y: 59.5,
    size: 56,
    borderWidth: 3,
    borderColor: { type: 'RGB', red: 0.85, green: 0.09, blue: 0.11 } as never,
  });
  return doc.save();
}

describe(signPdfIncrementally.name, () => {
  let pki: OpensslTestPki;
  let nssDir: string;
  let work: string;
  const sources: Record<string, Buffer> = {};

  beforeAll(async () => {
    pki = makeOpensslTestPki('ec-p256', [SEAL, '另一签署方']);
    work = pki.dir;
    nssDir = join(work, 'nss');
    mkdirSync(nssDir);
    execFileSync('certutil', ['-N', '--empty-password', '-d', `sql:${nssDir}`]);
    execFileSync('certutil', ['-A', '-n', 'root', '-t', 'CT,C,C', '-i', pki.rootPemPath, '-d', `sql:${nssDir}`]);

    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    for (let i = 1; i <= 3; i++)
      doc.addPage([595, 842]).drawText(`Contract page ${i}`, { x: 50, y: 760, size: 14, font });
    sources['pdf-lib, object streams'] = Buffer.from(await doc.save());
    sources['pdf-lib, classic xref'] = Buffer.from(await doc.save({ useObjectStreams: false }));
    const plain = join(work, 'plain.pdf');
    writeFileSync(plain, sources['pdf-lib, classic xref']);
    // Other producers: qpdf rewriting it with object streams and a cross-reference stream, and Ghostscript.
    execFileSync('qpdf', ['--object-streams=generate', plain, join(work, 'qpdf.pdf')]);
    sources['qpdf, xref stream'] = readFileSync(join(work, 'qpdf.pdf'));
    execFileSync('gs', [
      '-q',
      '-dNOPAUSE',
      '-dBATCH',
      '-sDEVICE=pdfwrite',
      `-sOutputFile=${join(work, 'gs.pdf')}`,
      plain,
    ]);
    sources['Ghostscript pdfwrite'] = readFileSync(join(work, 'gs.pdf'));
  });
  afterAll(() => pki?.remove());

  function pdfsig(file: Buffer, name: string): string {
    const path = join(work, name);
    writeFileSync(path, file);
    const result = spawnSync('pdfsig', ['-nssdir', `sql:${nssDir}`, path], { encoding: 'utf8' });
    return result.stdout + result.stderr;
  }

  async function seal(file: Buffer, signer: (typeof pki.signers)[number], pageIndex: number): Promise<Buffer> {
    const contentsSize = contentsSizeFor([signer.input.certificate, ...signer.input.chain], 'ec-p256');
    return signPdfIncrementally(
      file,
      await loadReadablePdf(file),
      { pageIndex, rect: { x: 400, y: 100, width: 119, height: 119 }, appearance: await sealImage() },
      { signedAt: new Date('2026-11-26T02:00:00Z'), reason: '用章', signerName: SEAL, contentsSize },
      signer.input,
    );
  }

  it.each(['pdf-lib, object streams', 'pdf-lib, classic xref', 'qpdf, xref stream', 'Ghostscript pdfwrite'])(
    'signs a PDF from %s without touching its bytes: pdfsig validates, qpdf finds no damage, the seal is on its page',
    async (source) => {
      const original = sources[source];
      const signed = await seal(original, pki.signers[0], 1);
      expect(signed.subarray(0, original.length).equals(original)).toBe(true);
      const report = pdfsig(signed, 'signed.pdf');
      expect(report).toContain(`Signer Certificate Common Name: ${SEAL}`);
      expect(report).toContain('Signature Validation: Signature is Valid.');
      expect(report).toContain('Certificate Validation: Certificate is Trusted.');
      expect(report).toContain('Signature Type: ETSI.CAdES.detached');
      expect(report).toContain('Total document signed');
      const path = join(work, 'signed.pdf');
      const check = spawnSync('qpdf', ['--check', path], { encoding: 'utf8' });
      expect(check.stdout + check.stderr).toContain('No syntax or stream encoding errors found');
      // The widget with its appearance is on page 2 and nowhere else.
      const reloaded = await PDFDocument.load(signed);
      expect(reloaded.getPages().map((p) => p.node.Annots()?.size() ?? 0)).toEqual([0, 1, 0]);
    },
  );

  it('leaves an earlier signature valid when a second seal signs after it', async () => {
    const once = await seal(sources['qpdf, xref stream'], pki.signers[1], 0);
    const twice = await seal(once, pki.signers[0], 2);
    const report = pdfsig(twice, 'twice.pdf');
    expect(report.match(/Signature is Valid\./g)).toHaveLength(2);
    expect(report).toContain('Signer Certificate Common Name: 另一签署方');
  });

  it('any changed byte makes the signature invalid', async () => {
    const signed = await seal(sources['pdf-lib, classic xref'], pki.signers[0], 0);
    const tampered = Buffer.from(signed);
    // A byte in the middle of the original document.
    tampered[Math.floor(sources['pdf-lib, classic xref'].length / 2)] ^= 0x01;
    expect(pdfsig(tampered, 'tampered.pdf')).not.toContain('Signature is Valid.');
  });

  it('draws the seal upright on a page shown turned (/Rotate 90), where it is asked for as the page is shown', async () => {
    const make = async (rotation: number) => {
      const doc = await PDFDocument.create();
      doc.addPage([595.28, 841.89]).setRotation(degrees(rotation));
      return Buffer.from(await doc.save());
    };
    const signer = pki.signers[0];
    const contentsSize = contentsSizeFor([signer.input.certificate, ...signer.input.chain], 'ec-p256');
    const sealAt = async (file: Buffer, rect: { x: number; y: number }) =>
      signPdfIncrementally(
        file,
        await loadReadablePdf(file),
        { pageIndex: 0, rect: { ...rect, width: 119, height: 119 }, appearance: await sealImage() },
        { signedAt: new Date(), reason: '用章', contentsSize },
        signer.input,
      );
    // Shown upright, the seal's centre 150 pt from the left and 150 pt from the bottom of what is shown.
    // Unturned: that is (150, 150) in the page's space. Turned 90° clockwise when shown: (595.28 − 150, 150).
    const upright = await sealAt(await make(0), { x: 150 - 59.5, y: 150 - 59.5 });
    const turned = await sealAt(await make(90), { x: 595.28 - 150 - 59.5, y: 150 - 59.5 });
    const crop = async (file: Buffer, name: string, shownHeight: number) => {
      writeFileSync(join(work, `${name}.pdf`), file);
      execFileSync('pdftoppm', ['-png', '-r', '72', '-singlefile', join(work, `${name}.pdf`), join(work, name)]);
      return sharp(readFileSync(join(work, `${name}.png`)))
        .extract({ left: 150 - 60, top: Math.round(shownHeight - 150 - 60), width: 120, height: 120 })
        .greyscale()
        .raw()
        .toBuffer();
    };
    const a = await crop(upright, 'upright', 841.89);
    const b = await crop(turned, 'turned', 595.28);
    let difference = 0;
    for (let i = 0; i < a.length; i++) difference += Math.abs(a[i] - b[i]);
    const inked = a.filter((value) => value < 200).length;
    expect(inked).toBeGreaterThan(1000);
    // The same picture in the same place, to within antialiasing.
    expect(difference / a.length).toBeLessThan(3);
  });
});
