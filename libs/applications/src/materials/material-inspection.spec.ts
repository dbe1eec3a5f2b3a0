import { PDFDocument, PDFName, PDFString } from 'pdf-lib';
import sharp from 'sharp';
import {
  inspectMaterial,
  MAX_IMAGE_EDGE,
  sanitizeFileName,
  type MaterialInspectionOptions,
} from './material-inspection';
import { MaterialErrorCode, MaterialException, materialErrorMessages } from './material.exception';

// Fixtures are built here, from code: no binary files in the repository.

const anything: MaterialInspectionOptions = { accepts: ['image', 'pdf'], maxBytes: 10 * 1024 * 1024 };

async function refusal(bytes: Buffer, options: MaterialInspectionOptions = anything): Promise<MaterialException> {
  const error = await inspectMaterial(bytes, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MaterialException)) throw new Error(`expected a MaterialException, got ${String(error)}`);
  return error;
}

function solid(width: number, height: number, channels: 3 | 4 = 3): sharp.Sharp {
  return sharp({ create: { width, height, channels, background: { r: 40, g: 90, b: 160, alpha: 0.5 } } });
}

async function pdfWithPages(count: number, build?: (document: PDFDocument) => void): Promise<Buffer> {
  const document = await PDFDocument.create();
  for (let i = 0; i < count; i++) document.addPage([200, 200]);
  build?.(document);
  return Buffer.from(await document.save({ addDefaultPage: false }));
}

/** A PDF written by hand, with a correct cross-reference table; object 1 is the catalog. */
function handmadePdf(objects: string[], trailerEntries = ''): Buffer {
  let text = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(text.length);
    text += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = text.length;
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  text += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  text += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerEntries} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(text, 'latin1');
}

const onePage = [
  '<< /Type /Catalog /Pages 2 0 R >>',
  '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
  '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
];

/** A stored (uncompressed) one-file ZIP archive, as `zip` would write it. */
function tinyZip(): Buffer {
  const name = Buffer.from('payload.exe');
  const data = Buffer.from('MZ this would be a program');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const centralOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

describe(inspectMaterial.name, () => {
  describe('photos', () => {
    it('stores a JPEG re-encoded, without the EXIF block that carries the GPS position', async () => {
      const upload = await solid(300, 200)
        .jpeg()
        .withExif({
          IFD0: { Make: 'Phone', Model: 'X' },
          IFD3: {
            GPSLatitudeRef: 'N',
            GPSLatitude: '23/1 7/1 0/1',
            GPSLongitudeRef: 'E',
            GPSLongitude: '113/1 15/1 0/1',
          },
        })
        .toBuffer();
      expect((await sharp(upload).metadata()).exif).toBeDefined();

      const sut = await inspectMaterial(upload, anything);

      expect(sut).toMatchObject({
        kind: 'image',
        contentType: 'image/jpeg',
        extension: 'jpg',
        width: 300,
        height: 200,
      });
      expect(sut.convertedFrom).toBeUndefined();
      const stored = await sharp(sut.bytes).metadata();
      expect(stored.format).toBe('jpeg');
      expect(stored.exif).toBeUndefined();
      expect(stored.xmp).toBeUndefined();
      expect(sut.bytes.includes(Buffer.from('Phone'))).toBe(false);
    });

    it('turns a photo taken sideways upright before dropping its orientation tag', async () => {
      const upload = await solid(300, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer();
      const sut = await inspectMaterial(upload, anything);
      expect(sut).toMatchObject({ width: 200, height: 300 });
      expect((await sharp(sut.bytes).metadata()).orientation).toBeUndefined();
    });

    it('stores a PNG as PNG, transparency kept', async () => {
      const sut = await inspectMaterial(await solid(120, 80, 4).png().toBuffer(), anything);
      expect(sut).toMatchObject({ kind: 'image', contentType: 'image/png', extension: 'png', width: 120, height: 80 });
      expect(await sharp(sut.bytes).metadata()).toMatchObject({ format: 'png', hasAlpha: true });
    });

    it('drops whatever was appended to an image (an image that is also a ZIP)', async () => {
      const upload = Buffer.concat([await solid(64, 64).png().toBuffer(), tinyZip()]);
      const sut = await inspectMaterial(upload, anything);
      expect(sut.bytes.includes(Buffer.from('PK\x03\x04', 'latin1'))).toBe(false);
      expect(sut.bytes.includes(Buffer.from('payload.exe'))).toBe(false);
    });

    it(`downscales an image whose long side exceeds ${MAX_IMAGE_EDGE} px`, async () => {
      const sut = await inspectMaterial(await solid(5000, 100).png().toBuffer(), anything);
      expect(sut).toMatchObject({ width: MAX_IMAGE_EDGE, height: 82 });
    });

    it('refuses an image with more pixels than any phone takes (decompression bomb)', async () => {
      const upload = await solid(10_000, 6_000).png({ compressionLevel: 9 }).toBuffer();
      const error = await refusal(upload);
      expect(error.code).toBe(MaterialErrorCode.TooLarge);
      expect(error.details).toEqual({ maxPixels: 50_000_000, width: 10_000, height: 6_000 });
    });

    it('refuses a JPEG whose header is fine but whose data is truncated garbage', async () => {
      const noisy = await sharp({
        create: {
          width: 400,
          height: 300,
          channels: 3,
          background: '#808080',
          noise: { type: 'gaussian', mean: 128, sigma: 40 },
        },
      })
        .jpeg()
        .toBuffer();
      const error = await refusal(Buffer.concat([noisy.subarray(0, 1500), Buffer.alloc(2000, 0x55)]));
      expect(error.code).toBe(MaterialErrorCode.Corrupt);
      expect(error.details).toEqual({ kind: 'image' });
    });

    it('refuses bytes that start like a PNG and are not one', async () => {
      const error = await refusal(Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(300, 7)]));
      expect(error.code).toBe(MaterialErrorCode.Corrupt);
    });
  });

  describe('HEIC photos from iPhones', () => {
    const heicHeader = Buffer.concat([
      Buffer.from([0, 0, 0, 0x18]),
      Buffer.from('ftypheic', 'latin1'),
      Buffer.from([0, 0, 0, 0]),
      Buffer.from('mif1heic', 'latin1'),
    ]);

    it('asks for a compatible camera setting when a HEIC file cannot be decoded', async () => {
      // libheif reports parse failures with console.log.
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      const error = await refusal(Buffer.concat([heicHeader, Buffer.alloc(2000, 0x42)])).finally(() =>
        log.mockRestore(),
      );
      expect(error.code).toBe(MaterialErrorCode.HeicUnreadable);
      expect(error.message).toContain('兼容性最佳');
    });

    it('takes HEIC for an image even where only images are accepted, and not where only PDF is', async () => {
      const error = await refusal(Buffer.concat([heicHeader, Buffer.alloc(100)]), { ...anything, accepts: ['pdf'] });
      expect(error.code).toBe(MaterialErrorCode.KindNotAccepted);
      expect(error.details).toEqual({ accepts: ['pdf'], kind: 'image' });
    });

    it('does not take other ISO media files (AVIF, MP4) for HEIC', async () => {
      const avif = Buffer.concat([Buffer.from([0, 0, 0, 0x1c]), Buffer.from('ftypavif', 'latin1'), Buffer.alloc(100)]);
      const error = await refusal(avif);
      expect(error.code).toBe(MaterialErrorCode.TypeUnsupported);
      expect(error.details).toEqual({ detected: 'iso-bmff' });
    });
  });

  describe('PDF', () => {
    it('stores a plain PDF as uploaded and counts its pages', async () => {
      const upload = await pdfWithPages(3);
      const sut = await inspectMaterial(upload, anything);
      expect(sut).toEqual({ kind: 'pdf', contentType: 'application/pdf', extension: 'pdf', bytes: upload, pages: 3 });
    });

    it('accepts white space after the final %%EOF, and links to web pages', async () => {
      const upload = await pdfWithPages(1, (document) => {
        const link = document.context.register(
          document.context.obj({
            Type: 'Annot',
            Subtype: 'Link',
            Rect: [0, 0, 10, 10],
            A: { S: 'URI', URI: PDFString.of('https://www.gov.cn/') },
          }),
        );
        document.getPage(0).node.set(PDFName.of('Annots'), document.context.obj([link]));
      });
      const sut = await inspectMaterial(Buffer.concat([upload, Buffer.from('\r\n \0\n', 'latin1')]), anything);
      expect(sut.pages).toBe(1);
    });

    it('does not mistake a font that happens to be called /JS for a script', async () => {
      const upload = handmadePdf([
        onePage[0],
        onePage[1],
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /Font << /JS 4 0 R >> >> >>',
        '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
      ]);
      expect((await inspectMaterial(upload, anything)).pages).toBe(1);
    });

    it('refuses a PDF that runs JavaScript when opened', async () => {
      const upload = await pdfWithPages(1, (document) => {
        document.catalog.set(
          PDFName.of('OpenAction'),
          document.context.obj({ S: 'JavaScript', JS: PDFString.of('app.alert("hi")') }),
        );
      });
      const error = await refusal(upload);
      expect(error.code).toBe(MaterialErrorCode.ActiveContent);
      expect(error.details).toEqual({ names: ['JS', 'JavaScript'] });
    });

    it('refuses JavaScript spelled with #-escaped names', async () => {
      const upload = handmadePdf([
        '<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /#4aavaScript /#4aS (app.alert\\(1\\)) >> >>',
        onePage[1],
        onePage[2],
      ]);
      const error = await refusal(upload);
      expect(error.code).toBe(MaterialErrorCode.ActiveContent);
      expect(error.details).toEqual({ names: ['JS', 'JavaScript'] });
    });

    it('refuses a link that launches a program', async () => {
      const upload = await pdfWithPages(1, (document) => {
        const link = document.context.register(
          document.context.obj({
            Type: 'Annot',
            Subtype: 'Link',
            Rect: [0, 0, 10, 10],
            A: { S: 'Launch', F: PDFString.of('cmd.exe') },
          }),
        );
        document.getPage(0).node.set(PDFName.of('Annots'), document.context.obj([link]));
      });
      const error = await refusal(upload);
      expect(error.code).toBe(MaterialErrorCode.ActiveContent);
      expect(error.details).toEqual({ names: ['Launch'] });
    });

    it('refuses a PDF carrying an attached file', async () => {
      const document = await PDFDocument.create();
      document.addPage();
      await document.attach(Buffer.from('MZ...'), 'invoice.exe', { mimeType: 'application/octet-stream' });
      const error = await refusal(Buffer.from(await document.save()));
      expect(error.code).toBe(MaterialErrorCode.ActiveContent);
      expect(error.details).toEqual({ names: expect.arrayContaining(['EmbeddedFile', 'EmbeddedFiles']) });
    });

    it('refuses an XFA form', async () => {
      const upload = handmadePdf([
        '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> >>',
        onePage[1],
        onePage[2],
        '<< /Length 0 >>\nstream\n\nendstream',
      ]);
      expect((await refusal(upload)).details).toEqual({ names: ['XFA'] });
    });

    it('refuses an encrypted PDF', async () => {
      const upload = handmadePdf(
        [
          ...onePage,
          '<< /Filter /Standard /V 1 /R 2 /P -44 /O <' + 'ab'.repeat(32) + '> /U <' + 'cd'.repeat(32) + '> >>',
        ],
        '/Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]',
      );
      const error = await refusal(upload);
      expect(error.code).toBe(MaterialErrorCode.Encrypted);
      expect(error.message).toBe(materialErrorMessages[MaterialErrorCode.Encrypted]);
    });

    it('refuses a PDF with a ZIP appended after %%EOF', async () => {
      const upload = Buffer.concat([await pdfWithPages(1), tinyZip()]);
      const error = await refusal(upload);
      expect(error.code).toBe(MaterialErrorCode.Polyglot);
      expect(error.details).toMatchObject({ reason: 'data-after-eof', detected: 'zip' });
    });

    it('refuses a PDF hiding a ZIP archive before its final %%EOF', async () => {
      const upload = Buffer.concat([await pdfWithPages(1), tinyZip(), Buffer.from('\n%%EOF\n')]);
      const error = await refusal(upload);
      expect(error.code).toBe(MaterialErrorCode.Polyglot);
      expect(error.details).toEqual({ reason: 'zip-central-directory' });
    });

    it('refuses an executable that a PDF reader would also open (header further in)', async () => {
      const upload = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), await pdfWithPages(1)]);
      const error = await refusal(upload);
      expect(error.code).toBe(MaterialErrorCode.Polyglot);
      expect(error.details).toEqual({ reason: 'pdf-header-not-at-start', offset: 64, detected: 'exe' });
    });

    it('refuses a PDF that is cut short', async () => {
      const whole = await pdfWithPages(2);
      expect((await refusal(whole.subarray(0, Math.floor(whole.length / 2)))).code).toBe(MaterialErrorCode.Corrupt);
    });

    it('refuses a file with a PDF header and nothing readable behind it', async () => {
      const error = await refusal(Buffer.from('%PDF-1.7\n' + 'garbage '.repeat(50) + '\n%%EOF\n', 'latin1'));
      expect(error.code).toBe(MaterialErrorCode.Corrupt);
      expect(error.details).toMatchObject({ kind: 'pdf' });
    });

    it('refuses a PDF without pages', async () => {
      expect((await refusal(await pdfWithPages(0))).code).toBe(MaterialErrorCode.Corrupt);
    });

    it('refuses a PDF of more than 200 pages', async () => {
      const error = await refusal(await pdfWithPages(201));
      expect(error.code).toBe(MaterialErrorCode.TooManyPages);
      expect(error.details).toEqual({ maxPages: 200, pages: 201 });
    });
  });

  describe('anything else', () => {
    it('checks the size first, before looking at the content', async () => {
      const error = await refusal(Buffer.alloc(2001, 0x41), { ...anything, maxBytes: 2000 });
      expect(error.code).toBe(MaterialErrorCode.TooLarge);
      expect(error.details).toEqual({ maxBytes: 2000, sizeBytes: 2001 });
    });

    it('refuses an empty file', async () => {
      expect((await refusal(Buffer.alloc(0))).code).toBe(MaterialErrorCode.Empty);
    });

    it.each([
      ['a Windows program named .pdf', Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), Buffer.alloc(200)]), 'exe'],
      ['a Linux program', Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(200)]), 'elf'],
      ['a ZIP archive', tinyZip(), 'zip'],
      ['a text file', Buffer.from('户口本复印件见附件', 'utf8'), undefined],
    ])('refuses %s by its content', async (_what, bytes, detected) => {
      const error = await refusal(bytes);
      expect(error.code).toBe(MaterialErrorCode.TypeUnsupported);
      expect(error.details).toEqual(detected ? { detected } : undefined);
    });

    it('refuses GIF and WebP images', async () => {
      for (const [bytes, detected] of [
        [await solid(10, 10).gif().toBuffer(), 'gif'],
        [await solid(10, 10).webp().toBuffer(), 'webp'],
      ] as const) {
        const error = await refusal(bytes);
        expect(error.code).toBe(MaterialErrorCode.TypeUnsupported);
        expect(error.details).toEqual({ detected });
      }
    });

    it('refuses a kind the material requirement does not accept', async () => {
      const pdf = await refusal(await pdfWithPages(1), { ...anything, accepts: ['image'] });
      expect(pdf.code).toBe(MaterialErrorCode.KindNotAccepted);
      expect(pdf.details).toEqual({ accepts: ['image'], kind: 'pdf' });

      const photo = await refusal(await solid(10, 10).jpeg().toBuffer(), { ...anything, accepts: ['pdf'] });
      expect(photo.details).toEqual({ accepts: ['pdf'], kind: 'image' });
    });

    it('gives every refusal a Chinese message from the catalogue', () => {
      for (const code of Object.values(MaterialErrorCode)) {
        expect(new MaterialException(code).message).toMatch(/[\u4e00-\u9fff]/);
      }
    });
  });
});

describe(sanitizeFileName.name, () => {
  it.each([
    [undefined, 'jpg', '材料.jpg'],
    ['', 'pdf', '材料.pdf'],
    ['  ...  ', 'pdf', '材料.pdf'],
    ['IMG_0042.HEIC', 'jpg', 'IMG_0042.jpg'],
    ['C:\\Users\\张三\\Desktop\\户口本.png', 'png', '户口本.png'],
    ['../../etc/passwd', 'pdf', 'passwd.pdf'],
    ['证明\u0000材料\n.pdf', 'pdf', '证明材料.pdf'],
    ['invoice\u202Egpj.exe', 'pdf', 'invoicegpj.pdf'],
    ['scan 2026.11.3', 'pdf', 'scan 2026.11.3.pdf'],
    ['.bashrc', 'pdf', 'bashrc.pdf'],
    ['营业执照', 'pdf', '营业执照.pdf'],
  ] as const)('turns %j into a display name ending in .%s', (name, extension, expected) => {
    expect(sanitizeFileName(name, extension)).toBe(expected);
  });

  it('keeps names to 100 characters without splitting a character', () => {
    const sut = sanitizeFileName('证'.repeat(98) + '😀😀😀.jpeg', 'jpg');
    expect(Array.from(sut)).toHaveLength(100);
    expect(sut).toBe('证'.repeat(96) + '.jpg');
    expect(Array.from(sanitizeFileName('😀'.repeat(200), 'pdf'))).toHaveLength(100);
  });
});
