import { createHash } from 'node:crypto';
import { PDFContext } from 'pdf-lib';
import { maxCadesSize, signDetachedCades, type CmsSignerInput } from '../cms/cades-signed-data';
import type { KeyAlgorithm } from '../keys/key-store';
import { byteRangePlaceholder, signatureDictionary, type SignatureInfo } from './signature-dictionary';
import type { PreparedSignatures } from './signature-fields';

/**
 * Fills the first signature's placeholders in the saved document: /ByteRange over the whole file
 * except the /Contents hex string, and /Contents with the CMS. Nothing moves, so every offset pdf-lib
 * wrote stays right.
 */
export async function signPreparedPdf(
  pdf: Uint8Array,
  prepared: PreparedSignatures,
  input: CmsSignerInput,
): Promise<Buffer> {
  const file = Buffer.from(pdf);
  const byteRangeAt = file.indexOf(prepared.byteRangePlaceholder, 0, 'latin1');
  if (byteRangeAt < 0) {
    throw new Error(
      'The signature placeholder is not in the PDF: was it saved with { useObjectStreams: false } after addSignatureFields?',
    );
  }
  if (file.indexOf(prepared.byteRangePlaceholder, byteRangeAt + 1, 'latin1') >= 0) {
    throw new Error('The signature placeholder occurs twice in the PDF');
  }
  await fillSignature(file, byteRangeAt, prepared.byteRangePlaceholder.length, prepared.contentsSize, input);
  return file;
}

/**
 * Signs another field of `prepared` in an incremental update (ISO 32000-1 §7.5.6): a new signature
 * dictionary, the field rewritten with /V, a classic xref section chained by /Prev and a trailer.
 * Earlier bytes are not touched, so earlier signatures stay valid. The file is not parsed: the
 * trailer comes from its tail, the rest from `prepared`.
 */
export async function appendPdfSignature(
  pdf: Uint8Array,
  prepared: PreparedSignatures,
  fieldName: string,
  info: SignatureInfo,
  input: CmsSignerInput,
): Promise<Buffer> {
  const field = prepared.fields.find((candidate) => candidate.name === fieldName);
  if (!field) {
    throw new Error(`No signature field named ${fieldName}`);
  }
  if (field.dictionary === undefined) {
    throw new Error(`Signature field ${fieldName} is the one signPreparedPdf signs`);
  }
  const previous = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const trailer = readTrailer(previous);
  // A field rewritten by an earlier update is signed already: signing it again would orphan that
  // signature. Two scans of the file cost microseconds, a parse would cost milliseconds.
  const header = `\n${field.objectNumber} ${field.generation} obj\n`;
  const written = previous.indexOf(header, 0, 'latin1');
  if (written < 0) {
    throw new Error(`Signature field ${fieldName} is not in this PDF`);
  }
  if (previous.indexOf(header, written + 1, 'latin1') >= 0) {
    throw new Error(`Signature field ${fieldName} is signed already`);
  }

  const signatureNumber = trailer.size;
  const byteRange = byteRangePlaceholder(scratchContext);
  const signature = signatureDictionary(scratchContext, info, byteRange).toString();
  const fieldWithValue = withEntry(field.dictionary, 'V', `${signatureNumber} 0 R`);

  const lead = endsWithEol(previous) ? '' : '\n';
  const objects = [
    { number: field.objectNumber, generation: field.generation, body: fieldWithValue },
    { number: signatureNumber, generation: 0, body: signature },
  ].sort((a, b) => a.number - b.number);

  let text = lead;
  const offsets = new Map<number, number>();
  for (const object of objects) {
    offsets.set(object.number, previous.length + text.length);
    text += `${object.number} ${object.generation} obj\n${object.body}\nendobj\n`;
  }
  const xrefOffset = previous.length + text.length;
  text += 'xref\n' + xrefSubsections(objects, offsets);
  text += 'trailer\n<<\n';
  text += `/Size ${signatureNumber + 1}\n/Root ${trailer.root}\n`;
  if (trailer.info) text += `/Info ${trailer.info}\n`;
  if (trailer.id) text += `/ID ${trailer.id}\n`;
  text += `/Prev ${trailer.startxref}\n>>\nstartxref\n${xrefOffset}\n%%EOF\n`;

  const file = Buffer.concat([previous, Buffer.from(text, 'latin1')]);
  const byteRangeText = byteRange.toString();
  const byteRangeAt = file.indexOf(byteRangeText, offsets.get(signatureNumber), 'latin1');
  await fillSignature(file, byteRangeAt, byteRangeText.length, info.contentsSize, input);
  return file;
}

/**
 * Bytes to reserve for /Contents: the exact largest CMS for these certificates (signer first, then
 * the chain), computed from the very certificates the signature will carry, plus a small margin. With
 * `timestampTokenBytes` (the largest token the TSA is expected to send, see `TimestampService`) the
 * signature time-stamp attribute fits too. Every reserved byte is two hex digits in the file.
 */
export function contentsSizeFor(certificates: Buffer[], algorithm: KeyAlgorithm, timestampTokenBytes = 0): number {
  return maxCadesSize(certificates, algorithm, timestampTokenBytes) + CONTENTS_MARGIN;
}

const CONTENTS_MARGIN = 64;

const scratchContext = PDFContext.create();

async function fillSignature(
  file: Buffer,
  byteRangeAt: number,
  byteRangeLength: number,
  contentsSize: number,
  input: CmsSignerInput,
): Promise<void> {
  // The dictionary is written /ByteRange then /Contents (signatureDictionary), so the hex string
  // starts right after the placeholder; anything else means the bytes are not what was prepared.
  const contentsKey = '\n/Contents <';
  const contentsStart = byteRangeAt + byteRangeLength + contentsKey.length - 1;
  const contentsEnd = contentsStart + 1 + contentsSize * 2;
  if (
    file.toString('latin1', byteRangeAt + byteRangeLength, contentsStart + 1) !== contentsKey ||
    file[contentsEnd] !== 0x3e /* > */
  ) {
    throw new Error('The signature dictionary in the PDF does not have the prepared layout');
  }

  // ISO 32000-1 §12.8.1: the signed ranges are everything but the /Contents string, delimiters included.
  const afterContents = contentsEnd + 1;
  const ranges = [0, contentsStart, afterContents, file.length - afterContents];
  const byteRangeText = `[${ranges.join(' ')}]`.padEnd(byteRangeLength, ' ');
  if (byteRangeText.length !== byteRangeLength) {
    throw new Error('The PDF is too large for the /ByteRange placeholder');
  }
  file.write(byteRangeText, byteRangeAt, 'latin1');

  const digest = createHash('sha256')
    .update(file.subarray(0, contentsStart))
    .update(file.subarray(afterContents))
    .digest();
  const cms = await signDetachedCades(digest, input);
  if (cms.length > contentsSize) {
    throw new Error(`The CMS signature is ${cms.length} bytes, only ${contentsSize} were reserved`);
  }
  file.write(cms.toString('hex'), contentsStart + 1, 'latin1');
}

interface Trailer {
  startxref: number;
  size: number;
  root: string;
  info?: string;
  id?: string;
}

/** The last trailer, read from the file's tail: the classic one pdf-lib writes without object streams. */
function readTrailer(file: Buffer): Trailer {
  const tailStart = Math.max(0, file.length - TAIL_BYTES);
  const tail = file.toString('latin1', tailStart);
  const startxrefAt = tail.lastIndexOf('startxref');
  const startxref = /^startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail.slice(startxrefAt));
  const trailerAt = tail.lastIndexOf('trailer', startxrefAt);
  if (startxrefAt < 0 || !startxref || trailerAt < 0) {
    throw new Error('The PDF does not end with a classic trailer: save it with { useObjectStreams: false }');
  }
  const dictionary = tail.slice(trailerAt + 'trailer'.length, startxrefAt);
  const entry = (key: string, value: string) => new RegExp(`/${key}\\s*(${value})`).exec(dictionary)?.[1];
  const size = entry('Size', '\\d+');
  const root = entry('Root', '\\d+\\s+\\d+\\s+R');
  if (!size || !root) {
    throw new Error('The PDF trailer has no /Size or /Root');
  }
  if (dictionary.includes('/Encrypt')) {
    throw new Error('Encrypted PDFs are not signed here');
  }
  const offset = Number(startxref[1]);
  if (file.toString('latin1', offset, offset + 4) !== 'xref') {
    throw new Error(`startxref ${offset} does not point at an xref table`);
  }
  return {
    startxref: offset,
    size: Number(size),
    root,
    info: entry('Info', '\\d+\\s+\\d+\\s+R'),
    id: entry('ID', '\\[[^\\]]*\\]'),
  };
}

/** The trailer, startxref and %%EOF with room to spare; the xref table itself sits before them. */
const TAIL_BYTES = 2048;

function endsWithEol(file: Buffer): boolean {
  const last = file[file.length - 1];
  return last === 0x0a || last === 0x0d;
}

/** `<<\n/K v\n...>>` as PDFDict.toString writes it, with one more entry before the closing `>>`. */
function withEntry(dictionary: string, key: string, value: string): string {
  if (!dictionary.endsWith('>>')) {
    throw new Error('A prepared field dictionary must end with >>');
  }
  return `${dictionary.slice(0, -2)}/${key} ${value}\n>>`;
}

/** One subsection per run of consecutive object numbers; every entry is exactly 20 bytes (§7.5.4). */
function xrefSubsections(objects: { number: number; generation: number }[], offsets: Map<number, number>): string {
  let text = '';
  let run: { number: number; generation: number }[] = [];
  const flush = () => {
    if (run.length === 0) return;
    text += `${run[0].number} ${run.length}\n`;
    for (const object of run) {
      const offset = String(offsets.get(object.number)).padStart(10, '0');
      text += `${offset} ${String(object.generation).padStart(5, '0')} n \n`;
    }
    run = [];
  };
  for (const object of objects) {
    if (run.length > 0 && run[run.length - 1].number + 1 !== object.number) flush();
    run.push(object);
  }
  flush();
  return text;
}
