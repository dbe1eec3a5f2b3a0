/** Characters that may not begin a line (GB/T 15834 punctuation, closing brackets and quotes). */
const NO_LINE_START = new Set(Array.from('，。、；：？！）》」』】〕〉”’…—·％,.;:?!)]}%'));
/** Characters that may not end a line (opening brackets and quotes). */
const NO_LINE_END = new Set(Array.from('（《「『【〔〈“‘([{'));
/** These stay together: dates written out (2026年1月31日), numbers, ID and credit codes, 'B2-086', '7.5'. */
const UNBREAKABLE_RUN = /\d{4}年\d{1,2}月\d{1,2}日|[A-Za-z0-9*#&%+\-_./:@]+|[\s\S]/gu;
/** ID numbers and unified social credit codes (18 characters) are never split across lines. */
const LONGEST_UNSPLIT_RUN = 24;
/** Free space, as a share of the column, above which a longer run is split rather than moved down whole. */
const LONG_RUN_SPLIT_GAP = 0.2;

export interface BrokenLine {
  text: string;
  /** Natural width of `text`. */
  width: number;
  /** Left offset within the column: the first line's indent. */
  indent: number;
  /** Extra space after each character that makes the line fill the column exactly (0 for a last line). */
  charSpacing: number;
  glyphCount: number;
}

export interface LineBreakOptions {
  width: number;
  firstLineIndent?: number;
  /** Stretch every line but the last to the full width, as Chinese text is set. */
  justify?: boolean;
  /** Largest extra space per character before a line is left ragged instead of stretched. */
  maxCharSpacing?: number;
  measure: (text: string) => number;
}

/**
 * Greedy line breaking for Chinese text: any two characters may be split except inside Latin and digit
 * runs, and a line never starts with closing punctuation nor ends with an opening one; the characters
 * that would break that rule move to the next line together.
 */
export function breakLines(text: string, options: LineBreakOptions): BrokenLine[] {
  const { width, measure } = options;
  const indent = options.firstLineIndent ?? 0;
  const units = splitOversized(text.match(UNBREAKABLE_RUN) ?? [], width, measure);
  const lines: string[][] = [];
  let line: string[] = [];
  let lineWidth = 0;
  const available = (): number => width - (lines.length === 0 ? indent : 0);

  for (let i = 0; i < units.length; i++) {
    const unit = units[i];
    const unitWidth = measure(unit);
    if (lineWidth + unitWidth <= available() + 0.01 || line.length === 0) {
      line.push(unit);
      lineWidth += unitWidth;
      continue;
    }
    // A run longer than any ID or code (a URL, a long licence number) is split rather than leave a gap.
    const free = available() - lineWidth;
    if (unit.length > LONGEST_UNSPLIT_RUN && free >= LONG_RUN_SPLIT_GAP * width) {
      let fits = 0;
      while (fits < unit.length && measure(unit.slice(0, fits + 1)) <= free + 0.01) fits++;
      if (fits > 0) {
        line.push(unit.slice(0, fits));
        lines.push(line);
        line = [];
        lineWidth = 0;
        units.splice(i + 1, 0, unit.slice(fits));
        continue;
      }
    }
    if (/^\s+$/u.test(unit)) {
      lines.push(line);
      line = [];
      lineWidth = 0;
      continue;
    }
    // The unit starts a new line: carry over what may not end this one or may not start the next.
    const carried: string[] = [];
    if (NO_LINE_START.has(unit)) {
      while (line.length > 1 && NO_LINE_START.has(line[line.length - 1])) carried.unshift(line.pop() as string);
      if (line.length > 1) carried.unshift(line.pop() as string);
    }
    while (line.length > 1 && NO_LINE_END.has(line[line.length - 1])) carried.unshift(line.pop() as string);
    lines.push(line);
    line = [...carried, unit];
    lineWidth = line.reduce((sum, u) => sum + measure(u), 0);
  }
  if (line.length > 0) lines.push(line);

  return lines.map((units, index) => {
    const lineText = units.join('').replace(/\s+$/u, '');
    const lineIndent = index === 0 ? indent : 0;
    const natural = measure(lineText);
    const glyphCount = Array.from(lineText).length;
    const isLast = index === lines.length - 1;
    let charSpacing = 0;
    if (options.justify && !isLast && glyphCount > 1) {
      const spacing = (width - lineIndent - natural) / (glyphCount - 1);
      if (spacing > 0 && spacing <= (options.maxCharSpacing ?? Infinity)) charSpacing = spacing;
    }
    return { text: lineText, width: natural, indent: lineIndent, charSpacing, glyphCount };
  });
}

/** A run wider than the whole column (a long URL) is split wherever it must be. */
function splitOversized(units: string[], width: number, measure: (text: string) => number): string[] {
  return units.flatMap((unit) => {
    if (unit.length === 1 || measure(unit) <= width) return [unit];
    const parts: string[] = [];
    let part = '';
    for (const ch of unit) {
      if (part && measure(part + ch) > width) {
        parts.push(part);
        part = '';
      }
      part += ch;
    }
    return part ? [...parts, part] : parts;
  });
}
