import { deflateSync } from 'node:zlib';
import {
  beginText,
  endMarkedContent,
  endText,
  PDFHexString,
  PDFName,
  PDFOperator,
  PDFOperatorNames,
  popGraphicsState,
  pushGraphicsState,
  setCharacterSpacing,
  setFillingRgbColor,
  setFontAndSize,
  setLineWidth,
  setStrokingRgbColor,
  setTextMatrix,
  setTextRenderingMode,
  showText,
  TextRenderingMode,
  type PDFDocument,
  type PDFFont,
  type PDFPage,
} from 'pdf-lib';
import type { LoadedFont } from './fonts';

export type Rgb = readonly [number, number, number];

export interface PlacedFont {
  pdf: PDFFont;
  metrics: LoadedFont;
}

export interface TextRun {
  text: string;
  x: number;
  y: number;
  charSpacing?: number;
  /**
   * What text extraction, search and screen readers get instead of the glyphs, where spacing would
   * make them read '证 明' (ISO 32000-1, 14.9.4).
   */
  actualText?: string;
}

export interface TextStyle {
  font: PlacedFont;
  size: number;
  color: Rgb;
  /** Thickens strokes by outlining the filled glyphs: a bold look without a second font's glyphs. */
  embolden?: number;
}

/**
 * pdf-lib compresses streams with pako, pure JavaScript and several times slower than Node's zlib,
 * which makes the same Flate data. Documents made here compress fonts and content natively.
 */
export function compressWithNodeZlib(doc: PDFDocument): void {
  const { context } = doc;
  context.flateStream = (contents, dict = {}) =>
    context.stream(deflateSync(typeof contents === 'string' ? Buffer.from(contents, 'latin1') : contents), {
      ...dict,
      Filter: 'FlateDecode',
    });
}

/** Two decimals of a point (1/3600 inch) is far below what a printer or screen resolves, and keeps streams small. */
export const round = (value: number): number => Math.round(value * 100) / 100;
const round4 = (value: number): number => Math.round(value * 10000) / 10000;

/**
 * Writes operators straight into a page's content stream, with short resource names. pdf-lib's
 * `drawText` has no character spacing, horizontal scaling or outline mode, which justified Chinese
 * lines and a seal's condensed, rotated characters need.
 */
export class PageWriter {
  private readonly fontKeys = new Map<PDFFont, PDFName>();
  private readonly operators: PDFOperator[] = [];
  private multiplyKey: PDFName | undefined;

  constructor(
    private readonly doc: PDFDocument,
    readonly page: PDFPage,
  ) {}

  push(...operators: PDFOperator[]): void {
    for (const operator of operators) this.operators.push(operator);
  }

  /** Adds what was written as the page's content stream (compressed by `context.flateStream`). */
  finish(): void {
    let size = 0;
    for (const operator of this.operators) size += operator.sizeInBytes() + 1;
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const operator of this.operators) {
      offset += operator.copyBytesInto(bytes, offset);
      bytes[offset++] = 0x0a;
    }
    this.page.node.addContentStream(this.doc.context.register(this.doc.context.flateStream(bytes)));
    this.operators.length = 0;
  }

  fontKey(font: PDFFont): PDFName {
    let key = this.fontKeys.get(font);
    if (!key) {
      key = PDFName.of(`F${this.fontKeys.size + 1}`);
      this.page.node.setFontDictionary(key, font.ref);
      this.fontKeys.set(font, key);
    }
    return key;
  }

  /** Ink that darkens what lies under it (the seal over the committee's name), as a stamp does on paper. */
  multiplyBlend(): PDFName {
    if (!this.multiplyKey) {
      this.multiplyKey = PDFName.of('GS1');
      this.page.node.setExtGState(
        this.multiplyKey,
        this.doc.context.register(this.doc.context.obj({ Type: 'ExtGState', BM: 'Multiply' })),
      );
    }
    return this.multiplyKey;
  }

  private actualText(text: string): PDFOperator {
    // An inline property list (ISO 32000-1, 14.6.2) serialises like any operand; pdf-lib's typings
    // only list the operand types it writes itself.
    const properties = this.doc.context.obj({ ActualText: PDFHexString.fromText(text) });
    return PDFOperator.of(PDFOperatorNames.BeginMarkedContentSequence, [
      PDFName.of('Span'),
      properties as unknown as PDFName,
    ]);
  }

  /** Horizontal runs of text in one style, in one text object. */
  text(runs: TextRun[], style: TextStyle): void {
    const ops: PDFOperator[] = [pushGraphicsState(), setFillingRgbColor(...style.color)];
    if (style.embolden) {
      ops.push(
        setStrokingRgbColor(...style.color),
        setLineWidth(round(style.embolden)),
        setTextRenderingMode(TextRenderingMode.FillAndOutline),
      );
    }
    ops.push(beginText(), setFontAndSize(this.fontKey(style.font.pdf), style.size));
    let spacing = 0;
    for (const run of runs) {
      const charSpacing = round(run.charSpacing ?? 0);
      if (charSpacing !== spacing) {
        ops.push(setCharacterSpacing(charSpacing));
        spacing = charSpacing;
      }
      const show = [
        setTextMatrix(1, 0, 0, 1, round(run.x), round(run.y)),
        showText(style.font.pdf.encodeText(run.text)),
      ];
      if (run.actualText === undefined) ops.push(...show);
      else ops.push(this.actualText(run.actualText), ...show, endMarkedContent());
    }
    ops.push(endText(), popGraphicsState());
    this.push(...ops);
  }

  /**
   * Single characters placed and turned one by one (`angle` in radians, counter-clockwise), each
   * squeezed horizontally by `squeeze`: text along an arc. The caller sets colour and graphics state.
   */
  glyphs(
    placed: { char: string; x: number; y: number; angle: number }[],
    font: PlacedFont,
    size: number,
    squeeze = 1,
  ): void {
    const ops: PDFOperator[] = [beginText(), setFontAndSize(this.fontKey(font.pdf), size)];
    for (const { char, x, y, angle } of placed) {
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      ops.push(
        setTextMatrix(round4(cos * squeeze), round4(sin * squeeze), round4(-sin), round4(cos), round(x), round(y)),
        showText(font.pdf.encodeText(char)),
      );
    }
    ops.push(endText());
    this.push(...ops);
  }
}
