import {
  parseTemplateText,
  type CertificateTemplate,
  type TemplateFormatter,
  type TemplateSegment,
} from '@zhengming/certificate-types';
import { maskIdNumber, maskPhone } from '@zhengming/pii';

export type FilledBlock =
  { kind: 'paragraph'; text: string } | { kind: 'facts'; rows: { label: string; value: string }[] };

export interface FilledTemplate {
  title: string;
  blocks: FilledBlock[];
}

/** Parsed texts by template text: a type has a handful of texts and they are filled thousands of times. */
const parsedTexts = new Map<string, TemplateSegment[]>();
const PARSED_TEXTS_LIMIT = 1000;

function parsed(text: string): TemplateSegment[] {
  let segments = parsedTexts.get(text);
  if (!segments) {
    segments = parseTemplateText(text);
    if (parsedTexts.size >= PARSED_TEXTS_LIMIT) parsedTexts.clear();
    parsedTexts.set(text, segments);
  }
  return segments;
}

/** Punctuation an answer may end with that would double the template's own full stop. */
const TRAILING_PUNCTUATION = /[。．.！!？?；;，,、\s]+$/u;

/**
 * Fills a template (already checked by `validateDefinition`) with an applicant's answers. A block that
 * refers to an empty field is left out when it is optional and is an error otherwise: a certificate
 * never prints a blank where a fact should be.
 */
export function fillTemplate(template: CertificateTemplate, form: Record<string, unknown>): FilledTemplate {
  const fill = (text: string): string | null => {
    const segments = parsed(text);
    let out = '';
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      if (segment.kind === 'literal') {
        out += segment.text;
        continue;
      }
      const raw = form[segment.field];
      if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return null;
      let value = formatValue(segment.field, raw, segment.formatter, template);
      const next = segments[i + 1];
      if (next?.kind === 'literal' && next.text.startsWith('。')) value = value.replace(TRAILING_PUNCTUATION, '');
      out += value;
    }
    return out;
  };
  const required = (text: string, where: string): string => {
    const filled = fill(text);
    if (filled === null) throw new Error(`The certificate template needs a form field left empty (${where})`);
    return filled;
  };

  const blocks: FilledBlock[] = [];
  template.body.forEach((block, i) => {
    if ('text' in block) {
      const text = block.optional ? fill(block.text) : required(block.text, `body[${i}]`);
      if (text !== null) blocks.push({ kind: 'paragraph', text });
      return;
    }
    const rows = block.facts.flatMap((fact, j) => {
      const value = fact.optional ? fill(fact.value) : required(fact.value, `body[${i}].facts[${j}]`);
      return value === null ? [] : [{ label: fact.label, value }];
    });
    if (rows.length > 0) blocks.push({ kind: 'facts', rows });
  });
  return { title: template.title, blocks };
}

function formatValue(
  field: string,
  raw: unknown,
  formatter: TemplateFormatter | undefined,
  template: CertificateTemplate,
): string {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || formatter) throw new Error(`Form field ${field} cannot be printed as ${formatter}`);
    return String(raw);
  }
  if (typeof raw !== 'string') throw new Error(`Form field ${field} is not text or a number`);
  // An answer typed on a phone may hold line breaks: the certificate sets it as running text.
  const value = raw.trim().replace(/\s+/gu, ' ');
  switch (formatter) {
    case undefined:
      return value;
    case 'maskIdNumber':
      return maskIdNumber(value);
    case 'maskPhone':
      return maskPhone(value);
    case 'date':
      return chineseDateOf(value);
    case 'text': {
      const words = template.valueText?.[field];
      if (!words || !Object.hasOwn(words, value)) throw new Error(`No words for ${field} = ${value} in the template`);
      return words[value];
    }
  }
}

/** 2026-03-01 → 2026年3月1日 (the date a form field holds is already a calendar date: no time zone). */
export function chineseDateOf(isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!match) throw new Error(`Not a date (YYYY-MM-DD): ${isoDate}`);
  return `${match[1]}年${Number(match[2])}月${Number(match[3])}日`;
}

const SHANGHAI = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar day of an instant in China: 2026-11-21T17:00:00Z → 2026年11月22日. */
export function chineseDateOfInstant(instant: Date): string {
  return chineseDateOf(SHANGHAI.format(instant));
}
