import { createHash } from 'node:crypto';
import {
  appendBezierCurve,
  closePath,
  fill,
  lineTo,
  moveTo,
  popGraphicsState,
  pushGraphicsState,
  setFillingRgbColor,
  setGraphicsState,
  setLineWidth,
  setStrokingRgbColor,
  setTextRenderingMode,
  stroke,
  TextRenderingMode,
  type PDFOperator,
} from 'pdf-lib';
import { PDFDocument } from 'pdf-lib';
import { loadFont, pdfLibFontkit } from './fonts';
import { compressWithNodeZlib, PageWriter, round, type PlacedFont, type Rgb } from './page-writer';

const MM = 72 / 25.4;
export const SEAL_DIAMETER = 42 * MM;
export const SEAL_RED: Rgb = [0.85, 0.09, 0.11];

const RADIUS = SEAL_DIAMETER / 2;
const RING_WIDTH = 1.2 * MM;
const INNER_EDGE = RADIUS - RING_WIDTH;
const STAR_RADIUS = 7 * MM;
const TITLE_SIZE = 16;
const CODE_SIZE = 7.5;
/** The seal's kind (财务专用章…) runs straight across below the star, as on enterprises' seals. */
const LABEL_SIZE = 11;
const LABEL_BELOW_CENTRE = STAR_RADIUS + 2.5 * MM;
const LABEL_MAX_WIDTH = 1.3 * RADIUS;
/** The name runs over at most this arc (the code takes the bottom), and at least over the smaller one. */
const TITLE_MAX_ARC = (236 * Math.PI) / 180;
const TITLE_MIN_ARC = (180 * Math.PI) / 180;
/** Ideographs sit between −0.12 em and 0.88 em of the baseline. */
const IDEOGRAPH_TOP = 0.86;
const DIGIT_HEIGHT = 0.73;

export interface SealArtwork {
  /** The owner's full name (a committee's, an enterprise's), along the upper arc. */
  title: string;
  /** The seal code, small along the lower arc. */
  code: string;
  /** What the seal is for (合同专用章…), straight across below the star; committee seals have none. */
  label?: string;
}

/**
 * Draws a round seal in vector graphics, laid out as official seals are: a red ring, a five-pointed
 * star in the middle, the name running left to right around the top with each character standing on
 * the centre, the seal's kind (if any) across below the star, the seal code along the bottom reading
 * left to right. Multiply blending lets the black text beneath show through, as stamped ink does.
 */
export function drawSeal(
  writer: PageWriter,
  font: PlacedFont,
  center: { x: number; y: number },
  seal: SealArtwork,
): void {
  const { x: cx, y: cy } = center;
  const ops: PDFOperator[] = [
    pushGraphicsState(),
    setGraphicsState(writer.multiplyBlend()),
    setFillingRgbColor(...SEAL_RED),
    setStrokingRgbColor(...SEAL_RED),
    setLineWidth(round(RING_WIDTH)),
    ...circle(cx, cy, RADIUS - RING_WIDTH / 2),
    stroke(),
    ...star(cx, cy, STAR_RADIUS),
    fill(),
    // Seal characters are cut bold: outline the glyphs a little.
    setLineWidth(0.45),
    setTextRenderingMode(TextRenderingMode.FillAndOutline),
  ];
  writer.push(...ops);
  const title = titleLayout(seal.title, font, center);
  writer.glyphs(title.glyphs, font, title.size, title.squeeze);
  writer.glyphs(codeLayout(seal.code, font, center), font, CODE_SIZE);
  if (seal.label) writer.glyphs(...labelLayout(seal.label, font, center));
  writer.push(popGraphicsState());
}

/**
 * A seal on its own: a one-page PDF as large as the seal, vector throughout, the font subset to its
 * characters. Placed on other documents as a form XObject (`PDFDocument.embedPdf`).
 */
export async function renderSealImage(seal: SealArtwork): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  compressWithNodeZlib(doc);
  doc.registerFontkit(pdfLibFontkit);
  const metrics = loadFont('serif');
  // The subset tag (ISO 32000-1, 9.6.4) follows from the seal, so the same seal draws the same bytes.
  const tag = Array.from(
    createHash('sha256')
      .update(`${seal.code}\n${seal.title}\n${seal.label ?? ''}`)
      .digest()
      .subarray(0, 6),
    (b) => String.fromCharCode(65 + (b % 26)),
  ).join('');
  const pdf = await doc.embedFont(metrics.bytes, { subset: true, customName: `${tag}+${metrics.font.postscriptName}` });
  const font: PlacedFont = { pdf, metrics };
  const writer = new PageWriter(doc, doc.addPage([SEAL_DIAMETER, SEAL_DIAMETER]));
  drawSeal(writer, font, { x: RADIUS, y: RADIUS }, seal);
  writer.finish();
  doc.setTitle(`${seal.title}${seal.label ?? ''} ${seal.code}`);
  return doc.save({ useObjectStreams: false });
}

/** The label centred below the star, condensed (not smaller) when it is long. */
function labelLayout(
  label: string,
  font: PlacedFont,
  center: { x: number; y: number },
): [{ char: string; x: number; y: number; angle: number }[], PlacedFont, number, number] {
  const chars = Array.from(label);
  const natural = font.metrics.widthOf(label, LABEL_SIZE);
  const squeeze = Math.min(1, LABEL_MAX_WIDTH / natural);
  let x = center.x - (natural * squeeze) / 2;
  const y = center.y - LABEL_BELOW_CENTRE - DIGIT_HEIGHT * LABEL_SIZE;
  const glyphs = chars.map((char) => {
    const placed = { char, x, y, angle: 0 };
    x += font.metrics.widthOf(char, LABEL_SIZE) * squeeze;
    return placed;
  });
  return [glyphs, font, LABEL_SIZE, squeeze];
}

/** Characters along the top, centred on 12 o'clock, clockwise, their feet towards the centre. */
function titleLayout(
  title: string,
  font: PlacedFont,
  center: { x: number; y: number },
): { glyphs: { char: string; x: number; y: number; angle: number }[]; size: number; squeeze: number } {
  const chars = Array.from(title);
  let size = TITLE_SIZE;
  let squeeze = 1;
  let baseline = 0;
  let step = 0;
  // Shrink the characters until they fit: first narrower (seal lettering is condensed), then smaller.
  for (;;) {
    baseline = INNER_EDGE - 2.2 - IDEOGRAPH_TOP * size;
    const gaps = Math.max(chars.length - 1, 1);
    // Spaced at the characters' feet, where the fan of characters is tightest.
    step = (size * 1.08) / baseline;
    if (chars.length >= 5 && step * gaps < TITLE_MIN_ARC) step = TITLE_MIN_ARC / gaps;
    if (step * gaps <= TITLE_MAX_ARC) break;
    step = TITLE_MAX_ARC / gaps;
    squeeze = (step * baseline) / (size * 1.06);
    if (squeeze >= 0.55) break;
    size -= 0.5;
    squeeze = 1;
  }
  const start = Math.PI / 2 + (step * (chars.length - 1)) / 2;
  const glyphs = chars.map((char, i) => {
    const theta = start - i * step;
    const angle = theta - Math.PI / 2;
    const half = (font.metrics.widthOf(char, size) * squeeze) / 2;
    return {
      char,
      x: center.x + baseline * Math.cos(theta) - half * Math.cos(angle),
      y: center.y + baseline * Math.sin(theta) - half * Math.sin(angle),
      angle,
    };
  });
  return { glyphs, size, squeeze };
}

/** Characters along the bottom, centred on 6 o'clock, left to right, their heads towards the centre. */
function codeLayout(
  code: string,
  font: PlacedFont,
  center: { x: number; y: number },
): { char: string; x: number; y: number; angle: number }[] {
  const chars = Array.from(code);
  const baseline = INNER_EDGE - 1.8;
  const middle = baseline - (DIGIT_HEIGHT * CODE_SIZE) / 2;
  const tracking = 0.9;
  const widths = chars.map((ch) => font.metrics.widthOf(ch, CODE_SIZE));
  const total = widths.reduce((sum, w) => sum + w + tracking, -tracking);
  let along = -total / 2;
  return chars.map((char, i) => {
    const centre = along + widths[i] / 2;
    along += widths[i] + tracking;
    const theta = (3 * Math.PI) / 2 + centre / middle;
    const angle = theta + Math.PI / 2;
    const half = widths[i] / 2;
    return {
      char,
      x: center.x + baseline * Math.cos(theta) - half * Math.cos(angle),
      y: center.y + baseline * Math.sin(theta) - half * Math.sin(angle),
      angle,
    };
  });
}

function circle(cx: number, cy: number, r: number): PDFOperator[] {
  const k = 0.5523 * r;
  return [
    moveTo(round(cx + r), round(cy)),
    appendBezierCurve(round(cx + r), round(cy + k), round(cx + k), round(cy + r), round(cx), round(cy + r)),
    appendBezierCurve(round(cx - k), round(cy + r), round(cx - r), round(cy + k), round(cx - r), round(cy)),
    appendBezierCurve(round(cx - r), round(cy - k), round(cx - k), round(cy - r), round(cx), round(cy - r)),
    appendBezierCurve(round(cx + k), round(cy - r), round(cx + r), round(cy - k), round(cx + r), round(cy)),
    closePath(),
  ];
}

function star(cx: number, cy: number, outer: number): PDFOperator[] {
  // The inner radius of a regular pentagram: outer × sin 18° / sin 126°.
  const inner = (outer * Math.sin(Math.PI / 10)) / Math.sin((7 * Math.PI) / 10);
  const ops: PDFOperator[] = [];
  for (let i = 0; i < 10; i++) {
    const r = i % 2 === 0 ? outer : inner;
    const theta = Math.PI / 2 + (i * Math.PI) / 5;
    const x = round(cx + r * Math.cos(theta));
    const y = round(cy + r * Math.sin(theta));
    ops.push(i === 0 ? moveTo(x, y) : lineTo(x, y));
  }
  ops.push(closePath());
  return ops;
}
