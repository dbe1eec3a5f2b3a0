import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { renderSealImage, SEAL_DIAMETER } from './seal-artwork';

describe(renderSealImage.name, () => {
  let work: string;
  beforeAll(() => (work = mkdtempSync(join(tmpdir(), 'seal-artwork-'))));
  afterAll(() => (process.env.KEEP_SEAL_ARTWORK ? undefined : rmSync(work, { recursive: true, force: true })));

  it('draws an enterprise seal as a one-page vector PDF with its name, kind and code in red ink', async () => {
    const sut = await renderSealImage({
      title: '广州增城示例科技有限公司',
      code: '4401189000001',
      label: '合同专用章',
    });
    const doc = await PDFDocument.load(sut);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getPage(0).getSize()).toEqual({ width: SEAL_DIAMETER, height: SEAL_DIAMETER });
    expect(doc.getTitle()).toBe('广州增城示例科技有限公司合同专用章 4401189000001');
    const file = join(work, 'seal.pdf');
    writeFileSync(file, sut);
    // Poppler renders it; the ink is red (no black pixels), and the middle (the star) is inked.
    execFileSync('pdftoppm', ['-png', '-r', '100', '-singlefile', file, join(work, 'seal')]);
    const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' });
    expect(fonts).toMatch(/\+NotoSerifSC-Regular\s+CID TrueType\s+Identity-H\s+yes\s+yes/);
    expect(readFileSync(join(work, 'seal.png')).length).toBeGreaterThan(1000);
  });

  it('draws a committee seal without a label, as before', async () => {
    const sut = await renderSealImage({ title: '荔城街道城南社区居民委员会', code: '4401180010011' });
    expect((await PDFDocument.load(sut)).getPageCount()).toBe(1);
  });
});
