import { PDFArray, PDFDict, PDFDocument, PDFName, PDFStream, type PDFObject } from 'pdf-lib';
import sharp from 'sharp';
import { MaterialErrorCode, MaterialException } from './material.exception';

export type MaterialKind = 'image' | 'pdf';
export type MaterialContentType = 'image/jpeg' | 'image/png' | 'application/pdf';
export type MaterialExtension = 'jpg' | 'png' | 'pdf';

export interface MaterialInspectionOptions {
  /** The kinds the material requirement of the certificate type accepts. */
  accepts: readonly MaterialKind[];
  maxBytes: number;
}

/** An upload that passed inspection, and the bytes to store for it. */
export interface InspectedMaterial {
  kind: MaterialKind;
  contentType: MaterialContentType;
  extension: MaterialExtension;
  /** What to store: the original PDF, or a re-encoded image without metadata. */
  bytes: Buffer;
  width?: number;
  height?: number;
  pages?: number;
  convertedFrom?: 'heic';
}

export const MAX_PDF_PAGES = 200;
/** Decompression-bomb guard: 50 megapixels is well above any phone camera. */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** Stored images are downscaled to this long edge: enough to read a document photo. */
export const MAX_IMAGE_EDGE = 4096;

const JPEG_QUALITY = 85;

type ImageFormat = 'jpeg' | 'png';
type SniffedFormat = ImageFormat | 'heic' | 'pdf';

const PDF_HEADER = Buffer.from('%PDF-', 'latin1');
const PDF_EOF_MARKER = Buffer.from('%%EOF', 'latin1');
/** PDF readers look for the header this far into the file (ISO 32000 implementations, not the standard). */
const PDF_HEADER_SEARCH_BYTES = 1024;
/** ISO-BMFF major brands of HEIC/HEIF stills and sequences (what iPhones write). */
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1']);

/** Signatures of formats we refuse, to say what an upload was (and to spot polyglots). */
const FOREIGN_SIGNATURES: readonly { name: string; matches: (bytes: Buffer) => boolean }[] = [
  { name: 'zip', matches: startsWith('PK\x03\x04', 'PK\x05\x06', 'PK\x07\x08') },
  { name: 'exe', matches: startsWith('MZ') },
  { name: 'elf', matches: startsWith('\x7fELF') },
  {
    name: 'mach-o',
    matches: startsWith(
      '\xfe\xed\xfa\xce',
      '\xfe\xed\xfa\xcf',
      '\xce\xfa\xed\xfe',
      '\xcf\xfa\xed\xfe',
      '\xca\xfe\xba\xbe',
    ),
  },
  { name: 'script', matches: startsWith('#!') },
  { name: 'gif', matches: startsWith('GIF87a', 'GIF89a') },
  {
    name: 'webp',
    matches: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
  { name: 'tiff', matches: startsWith('II*\x00', 'MM\x00*') },
  { name: 'bmp', matches: startsWith('BM') },
  { name: 'iso-bmff', matches: (b) => b.subarray(4, 8).toString('latin1') === 'ftyp' },
  { name: 'ole', matches: startsWith('\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1') },
  { name: 'rtf', matches: startsWith('{\\rtf') },
  { name: 'gzip', matches: startsWith('\x1f\x8b') },
  { name: '7z', matches: startsWith('7z\xbc\xaf\x27\x1c') },
  { name: 'rar', matches: startsWith('Rar!\x1a\x07') },
  { name: 'postscript', matches: startsWith('%!') },
];

function startsWith(...signatures: string[]): (bytes: Buffer) => boolean {
  const buffers = signatures.map((signature) => Buffer.from(signature, 'latin1'));
  return (bytes) => buffers.some((signature) => bytes.subarray(0, signature.length).equals(signature));
}

function fail(code: MaterialErrorCode, details?: unknown): never {
  throw new MaterialException(code, details);
}

/**
 * Decides what an upload from a resident's phone is, from its bytes alone (never the file name or the
 * declared MIME type), refuses anything but JPEG, PNG, HEIC and plain PDF, and returns what to store:
 * images re-encoded without metadata (no GPS position, nothing appended survives), HEIC converted to
 * JPEG, PDFs as uploaded once they are known to carry no scripts, attachments or second file.
 */
export async function inspectMaterial(bytes: Buffer, options: MaterialInspectionOptions): Promise<InspectedMaterial> {
  if (bytes.length > options.maxBytes)
    fail(MaterialErrorCode.TooLarge, { maxBytes: options.maxBytes, sizeBytes: bytes.length });
  if (bytes.length === 0) fail(MaterialErrorCode.Empty);

  const format = sniffFormat(bytes);
  const kind: MaterialKind = format === 'pdf' ? 'pdf' : 'image';
  if (!options.accepts.includes(kind)) fail(MaterialErrorCode.KindNotAccepted, { accepts: [...options.accepts], kind });

  switch (format) {
    case 'pdf':
      return inspectPdf(bytes);
    case 'heic':
      return convertHeic(bytes);
    default:
      return reencodeImage(bytes, format);
  }
}

function sniffFormat(bytes: Buffer): SniffedFormat {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (startsWith('\x89PNG\r\n\x1a\n')(bytes)) return 'png';
  if (bytes.length >= 12 && bytes.subarray(4, 8).toString('latin1') === 'ftyp') {
    if (HEIC_BRANDS.has(bytes.subarray(8, 12).toString('latin1'))) return 'heic';
  }
  if (startsWith('%PDF-')(bytes)) return 'pdf';

  const detected = FOREIGN_SIGNATURES.find((signature) => signature.matches(bytes))?.name;
  // A PDF reader accepts a header some way into the file, so "MZ… %PDF-" opens as a PDF while being
  // an executable (or a ZIP, an HTML page…) to everything else.
  const pdfHeaderAt = bytes.subarray(0, PDF_HEADER_SEARCH_BYTES).indexOf(PDF_HEADER);
  if (pdfHeaderAt > 0)
    fail(MaterialErrorCode.Polyglot, { reason: 'pdf-header-not-at-start', offset: pdfHeaderAt, detected });
  fail(MaterialErrorCode.TypeUnsupported, detected ? { detected } : undefined);
}

// ---------------------------------------------------------------------------------------------------
// PDF

async function inspectPdf(bytes: Buffer): Promise<InspectedMaterial> {
  assertNothingAfterEof(bytes);
  if (hasZipDirectoryAtEnd(bytes)) fail(MaterialErrorCode.Polyglot, { reason: 'zip-central-directory' });

  let document: PDFDocument;
  try {
    // Loaded with ignoreEncryption so that encryption is read from the document, not from an error:
    // pdf-lib's EncryptedPDFError is compiled to ES5 and fails `instanceof`.
    document = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false });
  } catch {
    // Encrypted object streams can make pdf-lib fail before it reaches /Encrypt in the trailer.
    if (/\/Encrypt[\s/<\d]/.test(bytes.toString('latin1'))) fail(MaterialErrorCode.Encrypted);
    fail(MaterialErrorCode.Corrupt, { kind: 'pdf' });
  }
  if (document.isEncrypted) fail(MaterialErrorCode.Encrypted);

  let pages: number;
  try {
    pages = document.getPageCount();
  } catch {
    fail(MaterialErrorCode.Corrupt, { kind: 'pdf' });
  }
  if (pages === 0) fail(MaterialErrorCode.Corrupt, { kind: 'pdf', reason: 'no pages' });
  if (pages > MAX_PDF_PAGES) fail(MaterialErrorCode.TooManyPages, { maxPages: MAX_PDF_PAGES, pages });

  const names = findActiveContent(document);
  if (names.length > 0) fail(MaterialErrorCode.ActiveContent, { names });

  return { kind: 'pdf', contentType: 'application/pdf', extension: 'pdf', bytes, pages };
}

/** PDF white-space characters (ISO 32000-1, 7.2.2). */
const PDF_WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);

/** A PDF ends at its last %%EOF: whatever follows (a ZIP, an executable) is a second file riding along. */
function assertNothingAfterEof(bytes: Buffer): void {
  const eof = bytes.lastIndexOf(PDF_EOF_MARKER);
  if (eof < 0) fail(MaterialErrorCode.Corrupt, { kind: 'pdf', reason: 'no %%EOF' });
  const tail = bytes.subarray(eof + PDF_EOF_MARKER.length);
  const firstForeign = tail.findIndex((byte) => !PDF_WHITESPACE.has(byte));
  if (firstForeign >= 0) {
    const appended = tail.subarray(firstForeign);
    fail(MaterialErrorCode.Polyglot, {
      reason: 'data-after-eof',
      trailingBytes: appended.length,
      detected: FOREIGN_SIGNATURES.find((signature) => signature.matches(appended))?.name,
    });
  }
}

/**
 * ZIP readers look for the end-of-central-directory record in the last 64 KiB and ignore what
 * precedes the archive, so a ZIP placed before the final %%EOF still opens. A four-byte signature can
 * occur by chance in compressed data; the central directory header it points back to cannot as well.
 */
function hasZipDirectoryAtEnd(bytes: Buffer): boolean {
  const END_RECORD = 0x06054b50;
  const DIRECTORY_HEADER = 0x02014b50;
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  for (let at = bytes.length - 22; at >= lowest; at--) {
    if (bytes.readUInt32LE(at) !== END_RECORD) continue;
    const directorySize = bytes.readUInt32LE(at + 12);
    const directoryStart = at - directorySize;
    if (directorySize > 0 && directoryStart >= 0 && bytes.readUInt32LE(directoryStart) === DIRECTORY_HEADER)
      return true;
  }
  return false;
}

/**
 * Names that make a PDF do something when opened (scripts, launching programs, multimedia, XFA forms)
 * or carry files inside it. Checked as dictionary keys and as name values (`/S /JavaScript`).
 */
const ACTIVE_CONTENT_NAMES = new Set([
  'JavaScript',
  'JS',
  'Launch',
  'EmbeddedFile',
  'EmbeddedFiles',
  'EF',
  'RichMedia',
  'XFA',
  'GoToE',
]);
/** In these resource dictionaries the keys are names chosen by the author (a font may be called /JS). */
const RESOURCE_NAME_MAPS = new Set(['Font', 'XObject', 'ExtGState', 'ColorSpace', 'Pattern', 'Shading', 'Properties']);
const MAX_NESTING = 100;

/**
 * Walks every indirect object (object streams included, pdf-lib unpacks them) and the direct objects
 * nested in them, so nothing hides behind an indirect reference or a compressed object stream.
 */
function findActiveContent(document: PDFDocument): string[] {
  const found = new Set<string>();
  const visit = (object: PDFObject, keysAreResourceNames: boolean, depth: number): void => {
    if (depth > MAX_NESTING) return;
    const value = object instanceof PDFStream ? object.dict : object;
    if (value instanceof PDFName) {
      const name = plainName(value);
      if (ACTIVE_CONTENT_NAMES.has(name)) found.add(name);
    } else if (value instanceof PDFDict) {
      for (const [key, entry] of value.entries()) {
        const name = plainName(key);
        if (!keysAreResourceNames && ACTIVE_CONTENT_NAMES.has(name)) found.add(name);
        visit(entry, RESOURCE_NAME_MAPS.has(name), depth + 1);
      }
    } else if (value instanceof PDFArray) {
      for (const element of value.asArray()) visit(element, false, depth + 1);
    }
  };
  for (const [, object] of document.context.enumerateIndirectObjects()) visit(object, false, 0);
  return [...found].sort();
}

/**
 * The name as a PDF reader understands it. pdf-lib decodes `#xx` escapes with upper-case hex digits
 * only and re-escapes the `#` of the others, so `/#4aS` reaches us as `#234aS`: decode until stable.
 */
function plainName(name: PDFName): string {
  let text = name.asString().replace(/^\//, '');
  for (let round = 0; round < 3; round++) {
    const decoded = text.replace(/#([0-9a-fA-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (decoded === text) break;
    text = decoded;
  }
  return text;
}

// ---------------------------------------------------------------------------------------------------
// Images

const DECODER_OPTIONS = { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS } as const;

function assertPixelCount(width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS)
    fail(MaterialErrorCode.TooLarge, { maxPixels: MAX_IMAGE_PIXELS, width, height });
}

async function reencodeImage(bytes: Buffer, format: ImageFormat): Promise<InspectedMaterial> {
  let metadata: sharp.Metadata;
  try {
    // Header only: the pixel count is checked before anything is decoded.
    metadata = await sharp(bytes, { ...DECODER_OPTIONS, limitInputPixels: false }).metadata();
  } catch {
    fail(MaterialErrorCode.Corrupt, { kind: 'image' });
  }
  if (metadata.format !== format) fail(MaterialErrorCode.Corrupt, { kind: 'image' });
  assertPixelCount(metadata.width, metadata.height);
  // rotate(): turn the pixels as the EXIF orientation says, since the EXIF itself is dropped.
  return encode(sharp(bytes, DECODER_OPTIONS).rotate(), format);
}

async function convertHeic(bytes: Buffer): Promise<InspectedMaterial> {
  // Sharp's prebuilt libvips has no HEVC decoder (patents); libheif in WebAssembly does. Loaded on
  // first use: it is a large module and most uploads are JPEG.
  let image: { width: number; height: number; data: Uint8ClampedArray };
  try {
    const { default: decodeHeic } = await import('heic-decode');
    const images = await decodeHeic.all({ buffer: bytes });
    try {
      const primary = images[0];
      assertPixelCount(primary.width, primary.height);
      image = await primary.decode();
    } finally {
      images.dispose();
    }
  } catch (error) {
    if (error instanceof MaterialException) throw error;
    fail(MaterialErrorCode.HeicUnreadable);
  }
  const pixels = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  // libheif has already applied the HEIF rotation and mirroring properties to the pixels.
  const pipeline = sharp(pixels, {
    raw: { width: image.width, height: image.height, channels: 4 },
    limitInputPixels: MAX_IMAGE_PIXELS,
  }).flatten({ background: '#ffffff' });
  return { ...(await encode(pipeline, 'jpeg')), convertedFrom: 'heic' };
}

/** Sharp writes no metadata unless asked to: EXIF (GPS), XMP, comments and trailing data are gone. */
async function encode(pipeline: sharp.Sharp, format: ImageFormat): Promise<InspectedMaterial> {
  pipeline.resize({ width: MAX_IMAGE_EDGE, height: MAX_IMAGE_EDGE, fit: 'inside', withoutEnlargement: true });
  const encoder = format === 'jpeg' ? pipeline.jpeg({ quality: JPEG_QUALITY, mozjpeg: true }) : pipeline.png();
  let output: { data: Buffer; info: sharp.OutputInfo };
  try {
    output = await encoder.toBuffer({ resolveWithObject: true });
  } catch {
    fail(MaterialErrorCode.Corrupt, { kind: 'image' });
  }
  return {
    kind: 'image',
    contentType: format === 'jpeg' ? 'image/jpeg' : 'image/png',
    extension: format === 'jpeg' ? 'jpg' : 'png',
    bytes: output.data,
    width: output.info.width,
    height: output.info.height,
  };
}

// ---------------------------------------------------------------------------------------------------
// File names

const MAX_FILE_NAME_LENGTH = 100;
// Control characters, and format characters such as the bidirectional overrides that make
// "gpj.exe" display as "exe.jpg" or zero-width spaces.
const UNSAFE_CHARACTERS = /[\p{Cc}\p{Cf}]/gu;

/**
 * The name shown to staff for an upload: the resident's own name for the file, without folders,
 * control characters or a misleading extension; the extension is the one inspection found.
 */
export function sanitizeFileName(name: string | undefined, extension: MaterialExtension): string {
  let base = (name ?? '').normalize('NFC').replace(UNSAFE_CHARACTERS, '');
  base = base.split(/[/\\]/).pop() ?? '';
  // An extension has a letter: "scan 2026.11.3" keeps its last part.
  base = base.trim().replace(/\.(?=[A-Za-z0-9]{1,5}$)[0-9]*[A-Za-z][A-Za-z0-9]*$/, '');
  base = base.replace(/^[.\s]+|[.\s]+$/g, '');
  if (base === '') base = '材料';
  const room = MAX_FILE_NAME_LENGTH - extension.length - 1;
  const characters = Array.from(base);
  if (characters.length > room) base = characters.slice(0, room).join('').trimEnd();
  return `${base}.${extension}`;
}
