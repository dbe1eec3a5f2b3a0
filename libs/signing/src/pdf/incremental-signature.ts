import { randomBytes } from 'node:crypto';
import {
  PDFArray,
  PDFDict,
  PDFHexString,
  PDFName,
  PDFNumber,
  PDFRef,
  PDFString,
  type PDFDocument,
  type PDFObject,
} from 'pdf-lib';
import type { CmsSignerInput } from '../cms/cades-signed-data';
import { signPreparedPdf } from './pdf-signing';
import { byteRangePlaceholder, signatureDictionary, type SignatureInfo } from './signature-dictionary';
import { SIG_FLAGS, WIDGET_FLAGS } from './signature-fields';

export interface VisibleSignature {
  /** 0-based. */
  pageIndex: number;
  /** Where the appearance goes, in the page's user space (points, origin bottom left). */
  rect: { x: number; y: number; width: number; height: number };
  /** A one-page PDF (the seal's image) drawn scaled into `rect` as the widget's appearance. */
  appearance: Uint8Array;
}

/**
 * Signs a PDF someone else made with a visible signature, as an incremental update (ISO 32000-1
 * §7.5.6): the original bytes stay as they are (signatures already in it stay valid) and after them
 * come only the objects that change — the page (its /Annots), the catalog or the AcroForm (its
 * /Fields and /SigFlags) — and the new ones: the widget with its appearance (the seal image as a form
 * XObject), the signature dictionary, and a classic cross-reference section chained by /Prev.
 *
 * `doc` is `original` as loaded by pdf-lib (loadReadablePdf); it is changed in memory and must not
 * be used afterwards.
 */
export async function signPdfIncrementally(
  original: Buffer,
  doc: PDFDocument,
  visible: VisibleSignature,
  info: SignatureInfo,
  input: CmsSignerInput,
): Promise<Buffer> {
  const context = doc.context;
  const page = doc.getPage(visible.pageIndex);
  const root = context.trailerInfo.Root;
  if (!(root instanceof PDFRef)) throw new Error('The PDF trailer has no /Root reference');
  // pdf-lib does not keep the object streams and cross-reference streams it read: their numbers are
  // taken all the same. New objects are numbered from the last section's /Size on.
  const previousXref = lastStartxref(original);
  context.largestObjectNumber = Math.max(context.largestObjectNumber, sizeOfSection(original, previousXref) - 1);
  const firstNew = context.largestObjectNumber + 1;
  const changed = new Set<PDFRef>([root, page.ref]);

  const [image] = await doc.embedPdf(visible.appearance, [0]);
  const { width, height } = visible.rect;
  const scaleX = round(width / image.width);
  const scaleY = round(height / image.height);
  // A page shown turned (/Rotate) turns its annotations with it: the appearance is turned back by the
  // same angle, so the seal reads upright as the page is shown (ISO 32000-1 §12.5.5 fits it to /Rect).
  const turn = ((page.getRotation().angle % 360) + 360) % 360;
  const [cos, sin] = turn === 90 ? [0, 1] : turn === 180 ? [-1, 0] : turn === 270 ? [0, -1] : [1, 0];
  const appearance = context.register(
    context.stream(`q ${scaleX} 0 0 ${scaleY} 0 0 cm /Seal Do Q`, {
      Type: 'XObject',
      Subtype: 'Form',
      BBox: [0, 0, width, height],
      Matrix: [cos, sin, -sin, cos, 0, 0],
      Resources: { XObject: { Seal: image.ref } },
    }),
  );
  const byteRange = byteRangePlaceholder(context);
  const signature = context.register(signatureDictionary(context, info, byteRange));
  const { x, y } = visible.rect;
  const widget = context.register(
    context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      T: PDFString.of(`Seal-${randomBytes(6).toString('hex')}`),
      F: WIDGET_FLAGS,
      P: page.ref,
      Rect: [x, y, x + width, y + height],
      AP: { N: appearance },
      V: signature,
    }),
  );

  appendTo(page.node, 'Annots', widget, changed);
  let acroForm = doc.catalog.get(PDFName.of('AcroForm'));
  if (acroForm instanceof PDFRef) {
    changed.add(acroForm);
    acroForm = context.lookup(acroForm);
  }
  if (!(acroForm instanceof PDFDict)) {
    acroForm = context.obj({});
    doc.catalog.set(PDFName.of('AcroForm'), context.register(acroForm));
  }
  const form = acroForm as PDFDict;
  appendTo(form, 'Fields', widget, changed);
  form.set(PDFName.of('SigFlags'), PDFNumber.of(SIG_FLAGS));
  await doc.flush();

  const written = context
    .enumerateIndirectObjects()
    .filter(([ref]) => ref.objectNumber >= firstNew || changed.has(ref))
    .sort(([a], [b]) => a.objectNumber - b.objectNumber);
  const update = serializeUpdate(original, previousXref, written, context.trailerInfo, context.largestObjectNumber + 1);
  return signPreparedPdf(
    Buffer.concat([original, update]),
    {
      byteRangePlaceholder: byteRange.toString(),
      contentsSize: info.contentsSize,
      fields: [],
    },
    input,
  );
}

/** Adds `item` to the array `key` of `dict`, wherever that array lives, noting what object changed. */
function appendTo(dict: PDFDict, key: string, item: PDFRef, changed: Set<PDFRef>): void {
  const name = PDFName.of(key);
  const value = dict.get(name);
  if (value instanceof PDFRef) {
    const array = dict.context.lookup(value);
    if (array instanceof PDFArray) {
      array.push(item);
      changed.add(value);
      return;
    }
  }
  if (value instanceof PDFArray) value.push(item);
  else dict.set(name, dict.context.obj([item]));
}

function serializeUpdate(
  original: Buffer,
  previousXref: number,
  objects: [PDFRef, PDFObject][],
  trailer: { Root?: PDFObject; Info?: PDFObject; ID?: PDFObject },
  size: number,
): Buffer {
  const parts: Buffer[] = [];
  let offset = original.length;
  const push = (bytes: Buffer) => {
    parts.push(bytes);
    offset += bytes.length;
  };
  if (original[original.length - 1] !== 0x0a && original[original.length - 1] !== 0x0d) push(Buffer.from('\n'));
  const offsets: { ref: PDFRef; offset: number }[] = [];
  for (const [ref, object] of objects) {
    offsets.push({ ref, offset });
    const body = new Uint8Array(object.sizeInBytes());
    object.copyBytesInto(body, 0);
    push(Buffer.from(`${ref.objectNumber} ${ref.generationNumber} obj\n`, 'latin1'));
    push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    push(Buffer.from('\nendobj\n', 'latin1'));
  }
  const xrefAt = offset;
  let text = 'xref\n';
  // One subsection per run of consecutive numbers; every entry exactly 20 bytes (§7.5.4).
  for (let i = 0; i < offsets.length;) {
    let j = i + 1;
    while (j < offsets.length && offsets[j].ref.objectNumber === offsets[j - 1].ref.objectNumber + 1) j++;
    text += `${offsets[i].ref.objectNumber} ${j - i}\n`;
    for (const entry of offsets.slice(i, j)) {
      text += `${String(entry.offset).padStart(10, '0')} ${String(entry.ref.generationNumber).padStart(5, '0')} n \n`;
    }
    i = j;
  }
  text += `trailer\n<<\n/Size ${size}\n/Root ${String(trailer.Root)}\n`;
  if (trailer.Info) text += `/Info ${String(trailer.Info)}\n`;
  if (trailer.ID) text += `/ID ${idOf(trailer.ID)}\n`;
  text += `/Prev ${previousXref}\n>>\nstartxref\n${xrefAt}\n%%EOF\n`;
  parts.push(Buffer.from(text, 'latin1'));
  return Buffer.concat(parts);
}

/** The /ID array as written: two byte strings, hex (pdf-lib parses them as either kind). */
function idOf(id: PDFObject): string {
  if (!(id instanceof PDFArray)) return String(id);
  const parts = id
    .asArray()
    .map((item) =>
      item instanceof PDFHexString || item instanceof PDFString
        ? `<${Buffer.from(item.asBytes()).toString('hex')}>`
        : String(item),
    );
  return `[${parts.join(' ')}]`;
}

/** The offset of the last cross-reference section, from the file's last `startxref`. */
function lastStartxref(file: Buffer): number {
  const tail = file.toString('latin1', Math.max(0, file.length - 2048));
  const matches = [...tail.matchAll(/startxref\s+(\d+)\s+%%EOF/g)];
  if (matches.length === 0) throw new Error('The PDF does not end with startxref and %%EOF');
  return Number(matches[matches.length - 1][1]);
}

/** /Size of the cross-reference section at `offset`: a classic table's trailer or an xref stream's dictionary. */
function sizeOfSection(file: Buffer, offset: number): number {
  const classic = file.toString('latin1', offset, offset + 4) === 'xref';
  const at = classic ? file.indexOf('trailer', offset, 'latin1') : offset;
  if (at < 0) return 0;
  const match = /\/Size\s+(\d+)/.exec(file.toString('latin1', at, at + 4096));
  return match ? Number(match[1]) : 0;
}

const round = (value: number): number => Math.round(value * 10000) / 10000;
