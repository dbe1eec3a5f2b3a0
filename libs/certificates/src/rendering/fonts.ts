import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import * as fontkit from 'fontkit';
import type { Font as FontkitFont, Glyph } from 'fontkit';
import type { PDFDocument } from 'pdf-lib';

/**
 * The faces a certificate uses, both TrueType (glyf outlines) under the OFL. There is no bold face:
 * the title is the regular face outlined, which costs no glyphs of its own.
 */
export type FontFace = 'serif' | 'brush';

const FONT_FILES: Record<FontFace, string> = {
  serif: '@expo-google-fonts/noto-serif-sc/400Regular/NotoSerifSC_400Regular.ttf',
  brush: '@expo-google-fonts/ma-shan-zheng/400Regular/MaShanZheng_400Regular.ttf',
};

type PdfLibFontkit = Parameters<PDFDocument['registerFontkit']>[0];

/**
 * One fontkit font per face and process, with the glyph of each code point remembered: the renderer
 * runs thousands of times per process and must neither read 15 MB files nor parse them again.
 */
export class LoadedFont {
  private readonly glyphs = new Map<number, Glyph | null>();
  readonly unitsPerEm: number;

  constructor(
    readonly face: FontFace,
    readonly bytes: Buffer,
    readonly font: FontkitFont,
  ) {
    this.unitsPerEm = font.unitsPerEm;
  }

  /** The glyph of a code point, or null when the font has none (it would print as an empty box). */
  glyph(codePoint: number): Glyph | null {
    let glyph = this.glyphs.get(codePoint);
    if (glyph === undefined) {
      glyph = this.font.hasGlyphForCodePoint(codePoint) ? remembered(this.font.glyphForCodePoint(codePoint)) : null;
      this.glyphs.set(codePoint, glyph);
    }
    return glyph;
  }

  /** The characters of `text` this font cannot draw. */
  missing(text: string): string[] {
    return Array.from(text).filter((ch) => this.glyph(ch.codePointAt(0) as number) === null);
  }

  /** Advance width of `text` at `size` points, without shaping (see `PdfLibFontAdapter.layout`). */
  widthOf(text: string, size: number): number {
    let units = 0;
    for (const ch of text) units += this.glyph(ch.codePointAt(0) as number)?.advanceWidth ?? 0;
    return (units * size) / this.unitsPerEm;
  }

  glyphsOf(text: string): Glyph[] {
    return Array.from(text, (ch) => {
      const glyph = this.glyph(ch.codePointAt(0) as number);
      if (!glyph)
        throw new Error(
          `Font ${this.font.postscriptName} has no glyph for ${JSON.stringify(ch)} (U+${(ch.codePointAt(0) as number).toString(16).toUpperCase()})`,
        );
      return glyph;
    });
  }
}

/**
 * fontkit's TrueType subsetter decodes each glyph's outline again for every subset it cuts, only to
 * learn whether the glyph is composite. The decoded outline never changes and the subsetter only
 * reads it, so each glyph keeps its first decoding (a quarter of the rendering time otherwise).
 */
function remembered(glyph: Glyph): Glyph {
  const decodable = glyph as Glyph & { _decode?: () => unknown };
  const decode = decodable._decode?.bind(glyph);
  if (decode) {
    let decoded: unknown;
    let done = false;
    decodable._decode = () => {
      if (!done) {
        decoded = decode();
        done = true;
      }
      return decoded;
    };
  }
  return glyph;
}

const loaded = new Map<FontFace, LoadedFont>();
const byBytes = new WeakMap<Uint8Array, PdfLibFontAdapter>();

export function loadFont(face: FontFace): LoadedFont {
  let font = loaded.get(face);
  if (!font) {
    const bytes = readFileSync(require.resolve(FONT_FILES[face]));
    const parsed = fontkit.create(bytes);
    if (!('unitsPerEm' in parsed)) throw new Error(`${FONT_FILES[face]} is a font collection, not a font`);
    font = new LoadedFont(face, bytes, parsed);
    loaded.set(face, font);
    byBytes.set(bytes, new PdfLibFontAdapter(font));
  }
  return font;
}

/**
 * Upstream fontkit 2 presented to pdf-lib 1.17, which was written against `@pdf-lib/fontkit` (whose
 * subsets of CJK fonts come out corrupt). pdf-lib's custom-font embedders call `fontkit.create(bytes)`,
 * then on the font `layout`, `createSubset` and the metrics getters, and on the subset `includeGlyph`
 * and `encodeStream` (fontkit 2 has `encode` instead). fontkit answers the metrics and the character
 * map and cuts the subsets (fontkit 2's TTF subsetter is the one that gets CJK fonts right).
 */
class PdfLibFontAdapter {
  constructor(private readonly loaded: LoadedFont) {}

  private get font(): FontkitFont & Record<string, unknown> {
    return this.loaded.font as FontkitFont & Record<string, unknown>;
  }

  get unitsPerEm(): number {
    return this.font.unitsPerEm;
  }
  get postscriptName(): string {
    return this.font.postscriptName;
  }
  get italicAngle(): number {
    return this.font.italicAngle;
  }
  get ascent(): number {
    return this.font.ascent;
  }
  get descent(): number {
    return this.font.descent;
  }
  get capHeight(): number {
    return this.font.capHeight;
  }
  get xHeight(): number {
    return this.font.xHeight;
  }
  get bbox(): FontkitFont['bbox'] {
    return this.font.bbox;
  }
  get cff(): unknown {
    return this.font.cff;
  }
  /** Read only when a whole font is embedded: a whole CJK font is some 15 MB, so refuse. */
  get characterSet(): never {
    throw new Error('Embed certificate fonts with { subset: true }');
  }
  get 'OS/2'(): unknown {
    return this.font['OS/2'];
  }
  get post(): unknown {
    return this.font.post;
  }
  get head(): unknown {
    return this.font.head;
  }

  /**
   * One glyph per character, no OpenType shaping: Chinese needs none, a ligature would break text
   * extraction and search, and shaping every line through GSUB/GPOS is the slowest part of fontkit.
   * A character the font lacks is an error, never an empty box on a certificate.
   */
  layout(text: string): { glyphs: Glyph[] } {
    return { glyphs: this.loaded.glyphsOf(text) };
  }

  createSubset(): FontkitSubsetAdapter {
    return new FontkitSubsetAdapter(this.loaded.font.createSubset());
  }
}

/** fontkit 2's own TrueType subsetter, with the stream interface pdf-lib 1.17 reads it through. */
class FontkitSubsetAdapter {
  /** TrueType outlines: pdf-lib embeds a CIDFontType2 with a FontFile2. */
  readonly cff = false;

  constructor(private readonly subset: ReturnType<FontkitFont['createSubset']>) {}

  includeGlyph(glyph: Glyph): number {
    // @types/fontkit says boolean; fontkit returns the glyph id in the subset.
    return this.subset.includeGlyph(glyph) as unknown as number;
  }
  encodeStream(): Readable {
    return Readable.from([Buffer.from(this.subset.encode())]);
  }
}

/** Register with `doc.registerFontkit`; it only creates fonts loaded through `loadFont`. */
export const pdfLibFontkit: PdfLibFontkit = {
  create(bytes: Uint8Array) {
    const adapter = byBytes.get(bytes);
    if (!adapter) throw new Error('Only fonts loaded through loadFont() can be embedded');
    return adapter as unknown as ReturnType<PdfLibFontkit['create']>;
  },
};
