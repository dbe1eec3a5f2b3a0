import { PDFDocument, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import { loadFont, pdfLibFontkit } from '@zhengming/certificates';
import { REPORT_TITLES, reportImageOption } from './report-charts';
import { committeesTables, efficiencyTables, issuanceTables, type ReportTable } from './report-export';
import { REPORT_IMAGE_FONT_FAMILY, REPORT_IMAGE_SIZE, renderChartSvg, svgToPngSync } from './report-image';
import type { CommitteesReport, EfficiencyReport, IssuanceReport } from './reports.service';

export interface MonthlyReportInput {
  /** `YYYY-MM`. */
  month: string;
  /** What the figures cover, e.g. 增城区（全区）. */
  scopeName: string;
  generatedAt: Date;
  issuance: IssuanceReport;
  committees: CommitteesReport;
  efficiency: EfficiencyReport;
}

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 48;
const WIDTH = A4.width - 2 * MARGIN;
const INK = rgb(0.1, 0.1, 0.1);
const MUTED = rgb(0.42, 0.47, 0.52);
const RULE = rgb(0.85, 0.87, 0.9);
const BODY = 9;
const ROW = 14;

/** pdf-lib draws with the glyphs the face has; characters outside it are dropped, never boxes. */
class Writer {
  page!: PDFPage;
  y = 0;
  pages = 0;

  constructor(
    private readonly doc: PDFDocument,
    private readonly font: PDFFont,
    private readonly widthOf: (text: string, size: number) => number,
    private readonly footer: string,
  ) {
    this.newPage();
  }

  newPage(): void {
    this.page = this.doc.addPage([A4.width, A4.height]);
    this.pages += 1;
    this.y = A4.height - MARGIN;
    this.page.drawText(`${this.footer} · 第 ${this.pages} 页`, {
      x: MARGIN,
      y: MARGIN / 2,
      size: 8,
      font: this.font,
      color: MUTED,
    });
  }

  /** Room for `height` more points on this page, or a new page. */
  need(height: number): void {
    if (this.y - height < MARGIN) this.newPage();
  }

  text(value: string, size: number, options: { color?: typeof INK; gap?: number; x?: number } = {}): void {
    this.need(size * 1.5);
    this.y -= size * 1.3;
    this.page.drawText(value, {
      x: options.x ?? MARGIN,
      y: this.y,
      size,
      font: this.font,
      color: options.color ?? INK,
    });
    this.y -= options.gap ?? size * 0.4;
  }

  image(png: Awaited<ReturnType<PDFDocument['embedPng']>>): void {
    const height = (WIDTH * REPORT_IMAGE_SIZE.height) / REPORT_IMAGE_SIZE.width;
    this.need(height + 8);
    this.y -= height;
    this.page.drawImage(png, { x: MARGIN, y: this.y, width: WIDTH, height });
    this.y -= 10;
  }

  /** Fits `value` into `width` points, cutting the end with an ellipsis when it is longer. */
  private fit(value: string, width: number): string {
    if (this.widthOf(value, BODY) <= width) return value;
    let cut = value;
    while (cut.length > 1 && this.widthOf(`${cut}…`, BODY) > width) cut = cut.slice(0, -1);
    return `${cut}…`;
  }

  table(table: ReportTable): void {
    const weights = table.columns.map((c) => (c.kind === 'text' ? 2.2 : 1));
    const total = weights.reduce((s, w) => s + w, 0);
    const widths = weights.map((w) => (WIDTH * w) / total);
    const row = (cells: string[], header: boolean) => {
      this.need(ROW);
      this.y -= ROW;
      let x = MARGIN;
      cells.forEach((cell, i) => {
        const value = this.fit(cell, widths[i] - 6);
        const right = table.columns[i].kind !== 'text';
        const offset = right ? widths[i] - 4 - this.widthOf(value, BODY) : 2;
        this.page.drawText(value, {
          x: x + offset,
          y: this.y + 4,
          size: BODY,
          font: this.font,
          color: header ? MUTED : INK,
        });
        x += widths[i];
      });
      this.page.drawLine({
        start: { x: MARGIN, y: this.y },
        end: { x: MARGIN + WIDTH, y: this.y },
        thickness: 0.5,
        color: RULE,
      });
    };
    this.text(table.title, 11, { gap: 2 });
    const header = table.columns.map((c) => c.header);
    row(header, true);
    for (const cells of table.rows) {
      if (this.y - ROW < MARGIN) {
        this.newPage();
        row(header, true);
      }
      row(
        cells.map((value, i) => cellText(value, table.columns[i].kind)),
        false,
      );
    }
    this.y -= 12;
  }
}

function cellText(value: string | number | null, kind: ReportTable['columns'][number]['kind']): string {
  if (value === null) return '—';
  if (kind === 'ratio' && typeof value === 'number') return `${(value * 100).toFixed(2)}%`;
  return String(value);
}

/**
 * The monthly report (月度统计报告) as a PDF: for each of the three reports its chart, drawn by the
 * same ECharts options as the dashboard and embedded as a PNG, then its tables, in Chinese (the
 * Noto Serif SC face the certificates embed, subset).
 */
export async function renderMonthlyReport(input: MonthlyReportInput): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(pdfLibFontkit);
  const face = loadFont('serif');
  const font = await doc.embedFont(face.bytes, { subset: true });
  const [year, month] = [input.month.slice(0, 4), Number(input.month.slice(5, 7))];
  const title = `增城区基层证明电子化统计月报（${year}年${month}月）`;
  doc.setTitle(title);
  doc.setAuthor('正明 · 电子证明服务系统');
  doc.setLanguage('zh-CN');
  doc.setCreationDate(input.generatedAt);

  const writer = new Writer(doc, font, (text, size) => face.widthOf(text, size), title);
  writer.text(title, 18, { gap: 6 });
  writer.text(
    `统计范围：${input.scopeName} · 统计区间：${input.issuance.range.from} 至 ${input.issuance.range.to}（北京时间）`,
    10,
    { color: MUTED },
  );
  writer.text(`生成时间：${input.generatedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC`, 10, {
    color: MUTED,
    gap: 12,
  });

  const sections = [
    {
      title: REPORT_TITLES.issuance,
      option: reportImageOption('issuance', input.issuance, REPORT_IMAGE_FONT_FAMILY),
      tables: issuanceTables(input.issuance),
    },
    {
      title: REPORT_TITLES.committees,
      option: reportImageOption('committees', input.committees, REPORT_IMAGE_FONT_FAMILY),
      tables: committeesTables(input.committees),
    },
    {
      title: REPORT_TITLES.efficiency,
      option: reportImageOption('efficiency', input.efficiency, REPORT_IMAGE_FONT_FAMILY),
      tables: efficiencyTables(input.efficiency),
    },
  ];
  for (const [i, section] of sections.entries()) {
    if (i > 0) writer.newPage();
    writer.text(`${i + 1}. ${section.title}`, 14, { gap: 6 });
    writer.image(await doc.embedPng(svgToPngSync(renderChartSvg(section.option))));
    for (const table of section.tables) writer.table(table);
  }
  return doc.save();
}
