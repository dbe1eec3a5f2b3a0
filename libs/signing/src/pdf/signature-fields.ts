import { PDFDocument, PDFName, PDFNumber, PDFString } from 'pdf-lib';
import { byteRangePlaceholder, signatureDictionary, type SignatureInfo } from './signature-dictionary';

export interface SignatureFieldSpec {
  /** The field's partial name (/T): ASCII letters, digits, `-` and `_`; unique in the document. */
  name: string;
  pageIndex: number;
  /** In PDF user space (points, origin bottom left). */
  rect: { x: number; y: number; width: number; height: number };
}

export interface PreparedSignatureField {
  name: string;
  objectNumber: number;
  generation: number;
  /**
   * The field dictionary exactly as `doc.save()` writes it, without /V: an incremental update
   * rewrites the object with /V added, so it is kept here instead of being parsed back out of the
   * file. Absent for the first field, whose /V is in the saved file already.
   */
  dictionary?: string;
}

/**
 * What the signing steps need to know about a saved document, as plain data: it is made where the
 * document is rendered (a worker thread) and used where the signing key is (the main thread).
 */
export interface PreparedSignatures {
  /** The first signature's /ByteRange placeholder as written; a random nonce makes it unique in the file. */
  byteRangePlaceholder: string;
  /** Bytes reserved for the first signature's CMS. */
  contentsSize: number;
  /** In the order given to `addSignatureFields`; the first is the one `signPreparedPdf` signs. */
  fields: PreparedSignatureField[];
}

const FIELD_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Annotation flags Print (3) and Locked (8), ISO 32000-1 §12.5.3: printed, and not movable by a reader. */
export const WIDGET_FLAGS = 4 | 128;

/** SignaturesExist | AppendOnly (ISO 32000-1 §12.7.2): readers must save changes as incremental updates. */
export const SIG_FLAGS = 3;

/**
 * Adds the signature fields (AcroForm, SigFlags 3, one invisible widget each: the visible seal is
 * drawn in the page content) and the first field's signature dictionary with placeholders. Call
 * before `doc.save({ useObjectStreams: false })` and change none of these objects afterwards: the
 * descriptor records the fields as they are now.
 */
export function addSignatureFields(
  doc: PDFDocument,
  fields: SignatureFieldSpec[],
  first: SignatureInfo,
): PreparedSignatures {
  if (fields.length === 0) {
    throw new Error('At least one signature field is required');
  }
  const names = new Set<string>();
  for (const field of fields) {
    if (!FIELD_NAME.test(field.name)) {
      throw new Error(`Signature field name ${JSON.stringify(field.name)} must match ${FIELD_NAME}`);
    }
    if (names.has(field.name)) {
      throw new Error(`Signature field name ${field.name} is used twice`);
    }
    names.add(field.name);
  }

  const context = doc.context;
  const pages = doc.getPages();
  const acroForm = doc.catalog.getOrCreateAcroForm();
  acroForm.dict.set(PDFName.of('SigFlags'), PDFNumber.of(SIG_FLAGS));

  const byteRange = byteRangePlaceholder(context);
  const signatureRef = context.register(signatureDictionary(context, first, byteRange));

  const prepared = fields.map((spec, index): PreparedSignatureField => {
    const page = pages[spec.pageIndex];
    if (!page) {
      throw new Error(`Signature field ${spec.name} is on page ${spec.pageIndex}, the document has ${pages.length}`);
    }
    const { x, y, width, height } = spec.rect;
    // An empty normal appearance: nothing is drawn for the widget itself, and PDF/A readers, which
    // require an appearance for every visible widget, have one.
    const appearance = context.register(
      context.stream('', { Type: 'XObject', Subtype: 'Form', BBox: [0, 0, width, height] }),
    );
    const widget = context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      T: PDFString.of(spec.name),
      F: WIDGET_FLAGS,
      P: page.ref,
      Rect: [x, y, x + width, y + height],
      AP: { N: appearance },
    });
    const dictionary = index === 0 ? undefined : widget.toString();
    if (index === 0) widget.set(PDFName.of('V'), signatureRef);
    const ref = context.register(widget);
    page.node.addAnnot(ref);
    acroForm.addField(ref);
    return { name: spec.name, objectNumber: ref.objectNumber, generation: ref.generationNumber, dictionary };
  });

  return { byteRangePlaceholder: byteRange.toString(), contentsSize: first.contentsSize, fields: prepared };
}
