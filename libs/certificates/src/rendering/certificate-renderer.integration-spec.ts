import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateTypeDefinition } from '@zhengming/certificate-types';
import { maskIdNumber } from '@zhengming/pii';
import { renderCertificate, type CertificateRenderInput } from './index';

const seedDir = join(__dirname, '../../../../db/seeds/certificate-types');
/** Git-ignored: the rendered pages, to look at. */
const artifacts = join(__dirname, '../../../../test-artifacts/rendering');
const MAX_UNSIGNED_BYTES = 45 * 1024;

const definitions: CertificateTypeDefinition[] = readdirSync(seedDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(seedDir, f), 'utf8')));

const COMMITTEE = { name: '广州市增城区荔城街道光明社区居民委员会', code: '440118001001' };

function sampleInput(definition: CertificateTypeDefinition): CertificateRenderInput {
  const serial = `${COMMITTEE.code}${definition.numberCode}2026000123K`;
  const issuedAt = new Date('2026-11-21T02:30:00Z');
  return {
    template: definition.template,
    typeName: definition.name,
    form: definition.formSchema.examples[0],
    certificateNo: `${COMMITTEE.code}-${definition.numberCode}-2026-000123-K`,
    verificationCode: '7KQ2M9XD',
    verificationUrl: `http://localhost:3000/v/${serial}?c=7KQ2M9XD`,
    committee: COMMITTEE,
    seal: { title: COMMITTEE.name, code: '4401180012401' },
    approver: { name: '王丽华' },
    issuedAt,
    validUntil: new Date(issuedAt.getTime() + definition.validityDays * 86_400_000),
  };
}

const run = (command: string, args: string[]): string =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
/** Only QR codes: the other decoders may misread the page's text and rules as bar codes. */
const scanQr = (png: string): string => run('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', png]);

/** The ID numbers of a form: the fields whose schema says `cn-id-number`. */
function idNumbersOf(definition: CertificateTypeDefinition): string[] {
  const form = definition.formSchema.examples[0];
  return Object.entries(definition.formSchema.properties)
    .filter(([, p]) => (p as { format?: string }).format === 'cn-id-number')
    .map(([field]) => String(form[field]));
}

describe('renderCertificate', () => {
  beforeAll(() => mkdirSync(artifacts, { recursive: true }));

  describe.each(definitions.map((d) => [d.code, d] as const))('%s', (code, definition) => {
    const pdfPath = join(artifacts, `${code}.pdf`);
    let url: string;
    let pageIndex: number;

    beforeAll(async () => {
      const input = sampleInput(definition);
      url = input.verificationUrl;
      const rendered = await renderCertificate(input);
      pageIndex = rendered.pageIndex;
      writeFileSync(pdfPath, await rendered.doc.save({ useObjectStreams: false }));
    });

    it('prints the title, the committee and the ID numbers masked, never in full', () => {
      const text = run('pdftotext', ['-layout', pdfPath, '-']);
      expect(text).toContain(definition.template.title);
      expect(text).toContain(COMMITTEE.name);
      for (const id of idNumbersOf(definition)) {
        expect(text).toContain(maskIdNumber(id));
        expect(text).not.toContain(id);
      }
      expect(text).toContain('核验码：7KQ2 M9XD');
    });

    it('is a well-formed PDF of at most 45 KB, with subset fonts embedded and no images', () => {
      expect(run('qpdf', ['--check', pdfPath])).toContain('No syntax or stream encoding errors found');
      const fonts = run('pdffonts', [pdfPath]).trim().split('\n').slice(2);
      expect(fonts.length).toBeGreaterThan(0);
      for (const line of fonts) {
        expect(line).toMatch(/^[A-Z]{6}\+/);
        expect(line).toMatch(/\s+yes\s+yes\s+yes\s+/);
      }
      expect(run('pdfimages', ['-list', pdfPath]).trim().split('\n')).toHaveLength(2);
      expect(readFileSync(pdfPath).length).toBeLessThanOrEqual(MAX_UNSIGNED_BYTES);
    });

    it('carries a QR that a scanner reads as exactly the verification URL', () => {
      const prefix = join(artifacts, code);
      const page = String(pageIndex + 1);
      run('pdftoppm', ['-r', '150', '-png', '-f', page, '-l', page, '-singlefile', pdfPath, prefix]);
      expect(scanQr(`${prefix}.png`)).toBe(`${url}\n`);
    });
  });

  it('sets the longest answers the weather form allows over two pages, still valid and scannable', async () => {
    const weather = definitions.find((d) => d.code === 'weather') as CertificateTypeDefinition;
    const example = weather.formSchema.examples[0];
    const longest = (text: unknown, length: number): string =>
      Array.from(String(text).repeat(50)).slice(0, length).join('');
    const input = sampleInput(weather);
    input.form = {
      ...example,
      eventPlace: longest(example.eventPlace, 200),
      eventDescription: longest(example.eventDescription, 500),
      purpose: longest(example.purpose, 200),
    };
    const rendered = await renderCertificate(input);
    const pdfPath = join(artifacts, 'weather-longest.pdf');
    writeFileSync(pdfPath, await rendered.doc.save({ useObjectStreams: false }));
    expect(rendered.pageIndex).toBe(1);
    expect(run('qpdf', ['--check', pdfPath])).toContain('No syntax or stream encoding errors found');
    run('pdftoppm', ['-r', '150', '-png', pdfPath, join(artifacts, 'weather-longest')]);
    expect(scanQr(join(artifacts, 'weather-longest-2.png'))).toBe(`${input.verificationUrl}\n`);
    const text = run('pdftotext', ['-layout', pdfPath, '-']);
    expect(text).toContain('第1页 共2页');
    expect(text).toContain(COMMITTEE.name);
  });
});
