import { createHash } from 'node:crypto';
import {
  fill,
  lineTo,
  moveTo,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  setFillingRgbColor,
  setLineWidth,
  setStrokingRgbColor,
  stroke,
  concatTransformationMatrix,
  type PDFOperator,
} from 'pdf-lib';
import type { CertificateTemplate } from '@zhengming/certificate-types';
import { drawSeal, SEAL_DIAMETER } from './seal-artwork';
import { chineseDateOfInstant, fillTemplate, type FilledBlock } from './fill-template';
import { loadFont, pdfLibFontkit, type FontFace } from './fonts';
import { breakLines } from './line-breaking';
import { compressWithNodeZlib, PageWriter, round, type PlacedFont, type Rgb, type TextRun } from './page-writer';
import { encodeVerificationQr, type QrSymbol } from './verification-qr';

export interface CertificateRenderInput {
  template: CertificateTemplate;
  /** The type's name, e.g. 居民充电桩报装证明 (document metadata). */
  typeName: string;
  /** The applicant's answers in plaintext; the template decides what is printed, and masked. */
  form: Record<string, unknown>;
  /** Printed at the top and beside the QR, e.g. 440118001001-EV-2026-000123-K. */
  certificateNo: string;
  /** Eight characters printed in groups of four, for typing when a camera fails. */
  verificationCode: string;
  /** What the QR encodes (at most QR version 4 at level M, about 60–80 characters). */
  verificationUrl: string;
  committee: { name: string; code: string };
  /** `title` runs along the seal's upper arc, `code` (13 digits) small along the lower arc. */
  seal: { title: string; code: string };
  /** Drawn as a handwritten-style signature. */
  approver: { name: string };
  /** Printed as calendar days in China (Asia/Shanghai). */
  issuedAt: Date;
  validUntil: Date;
}

/** PDF user space of the page: points, origin at the bottom left. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RenderedCertificate {
  doc: PDFDocument;
  /** The page that carries the seal, the signature, the validity and the QR: the last one. */
  pageIndex: number;
  sealRect: Rect;
  approverRect: Rect;
}

const MM = 72 / 25.4;
const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
/** 28 characters of 16 pt per line, as in official documents (GB/T 9704: 28 × 22 at 三号). */
const COLUMN_WIDTH = 448;
const COLUMN_LEFT = (PAGE_WIDTH - COLUMN_WIDTH) / 2;
const COLUMN_RIGHT = COLUMN_LEFT + COLUMN_WIDTH;
const BODY_SIZES = [16, 15, 14, 13, 12];
/** Body size when the text runs over more than one page. */
const CONTINUED_SIZE = 14;
const LEADING = 1.75;
/** Character spacing (in em) from which pdftotext and viewers would see a space between characters. */
const WIDE_SPACING = 0.08;
const TITLE_SIZE = 22;
const TITLE_BASELINE = PAGE_HEIGHT - 32 * MM;
const HEADER_BASELINE = PAGE_HEIGHT - 15 * MM;
const FIRST_PAGE_TOP = TITLE_BASELINE - 24;
const CONTINUATION_TOP = PAGE_HEIGHT - 25 * MM;
const CONTINUATION_BOTTOM = 25 * MM;
const QR_WIDTH = 32 * MM;
const QR_BOTTOM = 15 * MM;
const FOOTER_RULE = QR_BOTTOM + QR_WIDTH + 5 * MM;
const SEAL_RADIUS = SEAL_DIAMETER / 2;
const SIGN_OFF_SIZE = 16;
const SIGN_OFF_LINE = SIGN_OFF_SIZE * LEADING;
/**
 * GB/T 9704: the seal sits within a line below the text, the committee's name and the date under its
 * centre ("居印章中心偏下"); the validity is a line below the date.
 */
const NAME_BELOW_SEAL_CENTRE = 0.88 * SIGN_OFF_SIZE + 2;
const VALIDITY_BELOW_SEAL_CENTRE = NAME_BELOW_SEAL_CENTRE + 2 * SIGN_OFF_LINE;
const SEAL_BELOW_TEXT = 4;
/** The body must end this high on the last page to leave room for the signing block. */
const LAST_PAGE_BOTTOM = FOOTER_RULE + 12 + VALIDITY_BELOW_SEAL_CENTRE + SEAL_DIAMETER / 2 + SEAL_BELOW_TEXT;
const SIGNATURE_SIZE = 26;

const BLACK: Rgb = [0, 0, 0];
const GREY: Rgb = [0.3, 0.3, 0.3];
const INK_BLUE: Rgb = [0.06, 0.16, 0.45];

/** Titles this short are spread out, as headings of official papers are. */
const SPACED_TITLE_MAX_CHARS = 6;
/** The title is set in the regular face, outlined: a bold face would add ~230 bytes per character. */
const TITLE_EMBOLDEN = 0.6;

interface Fonts {
  serif: PlacedFont;
  brush: PlacedFont | null;
}

/** A piece of the body flow: its height and how to draw it with its top at `top`. */
interface FlowItem {
  height: number;
  draw: (writer: PageWriter, top: number) => void;
}

/**
 * Renders an unsigned certificate: A4, the type's template filled with the applicant's answers, the
 * committee's name and date with its seal over them, the approver's signature, the validity and the
 * verification QR. Unsaved, so the caller can add signature fields before saving with
 * `{ useObjectStreams: false }`.
 */
export async function renderCertificate(input: CertificateRenderInput): Promise<RenderedCertificate> {
  const filled = fillTemplate(input.template, input.form);
  const qr = encodeVerificationQr(input.verificationUrl);

  const doc = await PDFDocument.create({ updateMetadata: false });
  compressWithNodeZlib(doc);
  doc.registerFontkit(pdfLibFontkit);
  const fonts = await embedFonts(doc, input);

  const size = BODY_SIZES.find(
    (s) => flowHeight(layoutBody(filled.blocks, s, fonts)) <= FIRST_PAGE_TOP - LAST_PAGE_BOTTOM,
  );
  const items = layoutBody(filled.blocks, size ?? CONTINUED_SIZE, fonts);
  const pages = paginate(items);

  let writer: PageWriter | null = null;
  let bodyBottom = 0;
  for (const [index, pageItems] of pages.entries()) {
    writer?.finish();
    writer = new PageWriter(doc, doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]));
    drawHeader(writer, fonts, input.certificateNo, pages.length > 1 ? { index, count: pages.length } : null);
    if (index === 0) drawTitle(writer, fonts, filled.title);
    bodyBottom = index === 0 ? FIRST_PAGE_TOP : CONTINUATION_TOP;
    for (const item of pageItems) {
      item.draw(writer, bodyBottom);
      bodyBottom -= item.height;
    }
  }
  if (!writer) throw new Error('A certificate has at least one page');

  const { sealRect, approverRect } = drawSignOff(writer, fonts, input, bodyBottom);
  drawFooter(writer, fonts, input, qr);
  writer.finish();
  setMetadata(doc, input);
  return { doc, pageIndex: pages.length - 1, sealRect, approverRect };
}

async function embedFonts(doc: PDFDocument, input: CertificateRenderInput): Promise<Fonts> {
  const embed = async (face: FontFace): Promise<PlacedFont> => {
    const metrics = loadFont(face);
    const pdf = await doc.embedFont(metrics.bytes, {
      subset: true,
      customName: `${subsetTag(input.certificateNo, face)}+${metrics.font.postscriptName}`,
    });
    return { pdf, metrics };
  };
  const serif = await embed('serif');
  // A name the brush face cannot write (a rare character) is printed in the body face instead.
  const brush = loadFont('brush').missing(input.approver.name).length === 0 ? await embed('brush') : null;
  return { serif, brush };
}

/**
 * The six capital letters before '+' that mark an embedded subset (ISO 32000-1, 9.6.4), derived from the
 * certificate so that rendering the same certificate twice gives the same bytes.
 */
function subsetTag(certificateNo: string, face: FontFace): string {
  const digest = createHash('sha256').update(`${certificateNo}\n${face}`).digest();
  return Array.from(digest.subarray(0, 6), (b) => String.fromCharCode(65 + (b % 26))).join('');
}

function layoutBody(blocks: FilledBlock[], size: number, fonts: Fonts): FlowItem[] {
  const measure = (text: string): number => fonts.serif.metrics.widthOf(text, size);
  const lineHeight = size * LEADING;
  const style = { font: fonts.serif, size, color: BLACK };
  const items: FlowItem[] = [];
  for (const block of blocks) {
    if (block.kind === 'paragraph') {
      const lines = breakLines(block.text, {
        width: COLUMN_WIDTH,
        firstLineIndent: 2 * size,
        justify: true,
        maxCharSpacing: size,
        measure,
      });
      for (const line of lines)
        items.push({
          height: lineHeight,
          draw: (writer, top) =>
            writer.text(
              [
                {
                  text: line.text,
                  x: COLUMN_LEFT + line.indent,
                  y: baselineIn(top, lineHeight, size),
                  charSpacing: line.charSpacing,
                  // Text extraction reads a widely stretched line as words: give it the line as written.
                  ...(line.charSpacing > WIDE_SPACING * size ? { actualText: line.text } : {}),
                },
              ],
              style,
            ),
        });
    } else {
      items.push(...layoutFacts(block.rows, size, fonts));
    }
  }
  return items;
}

/** Baseline that centres ideographs (−0.12 em … 0.88 em) in a line box. */
const baselineIn = (top: number, lineHeight: number, size: number): number => top - lineHeight / 2 - 0.38 * size;

/** A two-column table, one flow item per row so that a page may break between rows. */
function layoutFacts(rows: { label: string; value: string }[], bodySize: number, fonts: Fonts): FlowItem[] {
  const size = Math.max(bodySize - 2, 11);
  const measure = (text: string): number => fonts.serif.metrics.widthOf(text, size);
  const padding = size * 0.6;
  const lineHeight = size * 1.5;
  const labelWidth = Math.max(...rows.map((r) => measure(r.label))) + 2 * padding;
  const valueWidth = COLUMN_WIDTH - labelWidth - 2 * padding;
  const gap = bodySize * 0.4;
  const style = { font: fonts.serif, size, color: BLACK };
  return rows.map((row, index) => {
    const lines = breakLines(row.value, { width: valueWidth, measure });
    const first = index === 0;
    const last = index === rows.length - 1;
    const boxHeight = lines.length * lineHeight + 2 * padding;
    return {
      height: boxHeight + (first ? gap : 0) + (last ? gap : 0),
      draw: (writer, itemTop) => {
        const top = itemTop - (first ? gap : 0);
        const bottom = top - boxHeight;
        const divider = COLUMN_LEFT + labelWidth;
        const ops: PDFOperator[] = [pushGraphicsState(), setStrokingRgbColor(...BLACK), setLineWidth(0.6)];
        if (first) ops.push(moveTo(COLUMN_LEFT, round(top)), lineTo(COLUMN_RIGHT, round(top)));
        ops.push(
          moveTo(COLUMN_LEFT, round(bottom)),
          lineTo(COLUMN_RIGHT, round(bottom)),
          moveTo(COLUMN_LEFT, round(top)),
          lineTo(COLUMN_LEFT, round(bottom)),
          moveTo(round(divider), round(top)),
          lineTo(round(divider), round(bottom)),
          moveTo(COLUMN_RIGHT, round(top)),
          lineTo(COLUMN_RIGHT, round(bottom)),
          stroke(),
          popGraphicsState(),
        );
        writer.push(...ops);
        const labelTop = top - padding - (boxHeight - 2 * padding - lineHeight) / 2;
        const runs: TextRun[] = [
          { text: row.label, x: COLUMN_LEFT + padding, y: baselineIn(labelTop, lineHeight, size) },
          ...lines.map((line, i) => ({
            text: line.text,
            x: divider + padding,
            y: baselineIn(top - padding - i * lineHeight, lineHeight, size),
          })),
        ];
        writer.text(runs, style);
      },
    };
  });
}

const flowHeight = (items: FlowItem[]): number => items.reduce((sum, item) => sum + item.height, 0);

/**
 * Fills pages top to bottom; the last page must also hold the signing block, so what would run into
 * it moves on to a page of its own.
 */
function paginate(items: FlowItem[]): FlowItem[][] {
  const pages: FlowItem[][] = [[]];
  let top = FIRST_PAGE_TOP;
  if (flowHeight(items) <= FIRST_PAGE_TOP - LAST_PAGE_BOTTOM) return [items];
  for (const item of items) {
    if (top - item.height < CONTINUATION_BOTTOM) {
      pages.push([]);
      top = CONTINUATION_TOP;
    }
    pages[pages.length - 1].push(item);
    top -= item.height;
  }
  const last = pages[pages.length - 1];
  const moved: FlowItem[] = [];
  while (top < LAST_PAGE_BOTTOM && last.length > 0) {
    const item = last.pop() as FlowItem;
    moved.unshift(item);
    top += item.height;
  }
  if (moved.length > 0) pages.push(moved);
  return pages.filter((page) => page.length > 0);
}

function drawHeader(
  writer: PageWriter,
  fonts: Fonts,
  certificateNo: string,
  page: { index: number; count: number } | null,
): void {
  const size = 10;
  const text = `编号：${certificateNo}`;
  const runs: TextRun[] = [{ text, x: COLUMN_RIGHT - fonts.serif.metrics.widthOf(text, size), y: HEADER_BASELINE }];
  if (page) {
    const pageText = `第${page.index + 1}页 共${page.count}页`;
    runs.push({ text: pageText, x: (PAGE_WIDTH - fonts.serif.metrics.widthOf(pageText, size)) / 2, y: 10 * MM });
  }
  writer.text(runs, { font: fonts.serif, size, color: GREY });
}

function drawTitle(writer: PageWriter, fonts: Fonts, title: string): void {
  const chars = Array.from(title).length;
  let size = TITLE_SIZE;
  let spacing = chars <= SPACED_TITLE_MAX_CHARS ? size * 0.5 : 0;
  let width = fonts.serif.metrics.widthOf(title, size) + spacing * (chars - 1);
  if (width > COLUMN_WIDTH) {
    size = (size * COLUMN_WIDTH) / width;
    spacing = 0;
    width = COLUMN_WIDTH;
  }
  const run = { text: title, x: (PAGE_WIDTH - width) / 2, y: TITLE_BASELINE, charSpacing: spacing };
  writer.text([spacing > 0 ? { ...run, actualText: title } : run], {
    font: fonts.serif,
    size,
    color: BLACK,
    embolden: TITLE_EMBOLDEN,
  });
}

/**
 * The committee's name over the date at the right ("落款"), the seal over both, centred on the date;
 * the approver's signature and the validity at the left.
 */
function drawSignOff(
  writer: PageWriter,
  fonts: Fonts,
  input: CertificateRenderInput,
  bodyBottom: number,
): { sealRect: Rect; approverRect: Rect } {
  const lineHeight = SIGN_OFF_LINE;
  const serif = fonts.serif.metrics;
  const name = input.committee.name;
  // A name longer than a line (28 characters) is set smaller rather than run into the margin.
  const size = Math.min(SIGN_OFF_SIZE, (SIGN_OFF_SIZE * COLUMN_WIDTH) / serif.widthOf(name, SIGN_OFF_SIZE));
  const date = chineseDateOfInstant(input.issuedAt);
  const nameWidth = serif.widthOf(name, size);
  const dateWidth = serif.widthOf(date, size);
  // The date ends four characters from the right margin, the name is centred over it, both move left
  // when the name is long.
  const centre = Math.min(COLUMN_RIGHT - 4 * size - dateWidth / 2, COLUMN_RIGHT - nameWidth / 2);

  const sealCentreY = bodyBottom - SEAL_BELOW_TEXT - SEAL_RADIUS;
  const nameBaseline = sealCentreY - NAME_BELOW_SEAL_CENTRE;
  const dateBaseline = nameBaseline - lineHeight;
  writer.text(
    [
      { text: name, x: centre - nameWidth / 2, y: nameBaseline },
      { text: date, x: centre - dateWidth / 2, y: dateBaseline },
    ],
    { font: fonts.serif, size, color: BLACK },
  );

  // The approver signs by hand at the left, level with the date.
  const label = '审批人：';
  const labelWidth = serif.widthOf(label, SIGN_OFF_SIZE);
  const signatureBaseline = dateBaseline - 2;
  writer.text([{ text: label, x: COLUMN_LEFT, y: signatureBaseline }], {
    font: fonts.serif,
    size: SIGN_OFF_SIZE,
    color: BLACK,
  });
  const signatureFont = fonts.brush ?? fonts.serif;
  const signatureSize = fonts.brush ? SIGNATURE_SIZE : SIGN_OFF_SIZE;
  const signatureX = COLUMN_LEFT + labelWidth + 4;
  const signatureWidth = signatureFont.metrics.widthOf(input.approver.name, signatureSize);
  writer.text([{ text: input.approver.name, x: signatureX, y: signatureBaseline, charSpacing: 1 }], {
    font: signatureFont,
    size: signatureSize,
    color: INK_BLUE,
  });
  const approverRect = {
    x: round(COLUMN_LEFT - 2),
    y: round(signatureBaseline - 0.2 * signatureSize),
    width: round(labelWidth + 4 + signatureWidth + 8),
    height: round(1.25 * signatureSize),
  };

  const validity = `有效期至${chineseDateOfInstant(input.validUntil)}`;
  writer.text([{ text: validity, x: COLUMN_LEFT, y: sealCentreY - VALIDITY_BELOW_SEAL_CENTRE }], {
    font: fonts.serif,
    size: 12,
    color: BLACK,
  });

  drawSeal(writer, fonts.serif, { x: centre, y: sealCentreY }, input.seal);
  const sealRect = {
    x: round(centre - SEAL_RADIUS),
    y: round(sealCentreY - SEAL_RADIUS),
    width: round(SEAL_DIAMETER),
    height: round(SEAL_DIAMETER),
  };
  return { sealRect, approverRect };
}

function drawFooter(writer: PageWriter, fonts: Fonts, input: CertificateRenderInput, qr: QrSymbol): void {
  writer.push(
    pushGraphicsState(),
    setStrokingRgbColor(...GREY),
    setLineWidth(0.5),
    moveTo(round(COLUMN_LEFT), round(FOOTER_RULE)),
    lineTo(round(COLUMN_RIGHT), round(FOOTER_RULE)),
    stroke(),
    popGraphicsState(),
  );
  drawQr(writer, qr, COLUMN_LEFT, QR_BOTTOM, QR_WIDTH);

  const x = COLUMN_LEFT + QR_WIDTH + 6 * MM;
  const top = QR_BOTTOM + QR_WIDTH;
  const url = new URL(input.verificationUrl);
  const code = input.verificationCode.replace(/(.{4})(?=.)/gu, '$1 ');
  writer.text([{ text: '扫码或访问核验', x, y: top - 12 }], { font: fonts.serif, size: 12, color: BLACK });
  const lines = [`${url.host}${url.pathname}`, `证明编号：${input.certificateNo}`, `核验码：${code}`];
  writer.text(
    lines.map((text, i) => ({ text, x, y: top - 32 - i * 16 })),
    { font: fonts.serif, size: 10, color: BLACK },
  );
}

/** The dark modules as one filled path of row runs, in module units scaled into place. */
function drawQr(writer: PageWriter, qr: QrSymbol, x: number, y: number, width: number): void {
  const module = width / qr.size;
  const ops: PDFOperator[] = [
    pushGraphicsState(),
    concatTransformationMatrix(round(module * 10000) / 10000, 0, 0, round(module * 10000) / 10000, round(x), round(y)),
    setFillingRgbColor(0, 0, 0),
  ];
  for (const run of qr.runs) ops.push(rectangle(run.col, qr.size - 1 - run.row, run.length, 1));
  ops.push(fill(), popGraphicsState());
  writer.push(...ops);
}

function setMetadata(doc: PDFDocument, input: CertificateRenderInput): void {
  doc.setTitle(`${input.typeName}（${input.certificateNo}）`);
  doc.setAuthor(input.committee.name);
  doc.setSubject(input.typeName);
  doc.setCreator('正明 · 电子证明服务系统');
  doc.setProducer('Zhengming');
  doc.setLanguage('zh-CN');
  doc.setCreationDate(input.issuedAt);
  doc.setModificationDate(input.issuedAt);
}
