import { breakLines } from './line-breaking';

/** Ideographs and full-width punctuation 1 em wide, everything else half: like the serif face. */
const measure = (text: string): number =>
  Array.from(text).reduce((sum, ch) => sum + (ch.charCodeAt(0) < 0x80 ? 0.5 : 1), 0);

const texts = (text: string, width: number, indent = 0): string[] =>
  breakLines(text, { width, firstLineIndent: indent, measure }).map((l) => l.text);

describe(breakLines.name, () => {
  it('fills lines character by character, the first one indented', () => {
    expect(texts('一二三四五六七八九十', 4, 2)).toEqual(['一二', '三四五六', '七八九十']);
  });

  it('never starts a line with closing punctuation: the character before moves down with it', () => {
    expect(texts('一二三四。五六', 4)).toEqual(['一二三', '四。五六']);
    expect(texts('一二三四）。五', 4)).toEqual(['一二三', '四）。五']);
  });

  it('never ends a line with an opening bracket', () => {
    expect(texts('一二三（四五）', 4)).toEqual(['一二三', '（四五）']);
  });

  it('keeps numbers, codes and written-out dates whole', () => {
    expect(texts('号码4401**********0047的', 10)).toEqual(['号码', '4401**********0047的']);
    expect(texts('一二三四五2026年11月21日', 8)).toEqual(['一二三四五', '2026年11月21日']);
  });

  it('splits a run longer than the line', () => {
    const url = 'https://example.org/a/very/long/path';
    for (const line of texts(url, 10)) expect(measure(line)).toBeLessThanOrEqual(10);
    expect(texts(url, 10).join('')).toBe(url);
  });

  it('stretches every line but the last to the full width', () => {
    const lines = breakLines('一二三四五号码4401**********0047', {
      width: 8,
      justify: true,
      maxCharSpacing: 1,
      measure,
    });
    expect(lines[0]).toMatchObject({ text: '一二三四五号码', charSpacing: 1 / 6 });
    expect(lines[lines.length - 1].charSpacing).toBe(0);
  });
});
