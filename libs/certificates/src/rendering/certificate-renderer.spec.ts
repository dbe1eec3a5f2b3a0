import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateTypeDefinition } from '@zhengming/certificate-types';
import { renderCertificate, type CertificateRenderInput, type Rect } from './index';

const weather: CertificateTypeDefinition = JSON.parse(
  readFileSync(join(__dirname, '../../../../db/seeds/certificate-types/weather.json'), 'utf8'),
);
const COMMITTEE = { name: '广州市增城区荔城街道光明社区居民委员会', code: '440118001001' };

const input = (overrides: Partial<CertificateRenderInput> = {}): CertificateRenderInput => ({
  template: weather.template,
  typeName: weather.name,
  form: weather.formSchema.examples[0],
  certificateNo: '440118001001-WT-2026-000123-K',
  verificationCode: '7KQ2M9XD',
  verificationUrl: 'http://localhost:3000/v/440118001001WT2026000123K?c=7KQ2M9XD',
  committee: COMMITTEE,
  seal: { title: COMMITTEE.name, code: '4401180012401' },
  approver: { name: '王丽华' },
  issuedAt: new Date('2026-11-21T02:30:00Z'),
  validUntil: new Date('2027-11-21T02:30:00Z'),
  ...overrides,
});

const save = async (i: CertificateRenderInput): Promise<Buffer> =>
  Buffer.from(await (await renderCertificate(i)).doc.save({ useObjectStreams: false }));

const overlap = (a: Rect, b: Rect): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Repeats `text` to exactly `length` characters. */
const filler = (text: string, length: number): string =>
  Array.from(text.repeat(Math.ceil(length / text.length)))
    .slice(0, length)
    .join('');

describe(renderCertificate.name, () => {
  it('gives the same bytes for the same certificate, so a re-issue can be compared', async () => {
    expect((await save(input())).equals(await save(input()))).toBe(true);
  });

  it('returns the seal (42 mm) and the signature block where a signature field can be placed', async () => {
    const { doc, pageIndex, sealRect, approverRect } = await renderCertificate(input());
    expect(doc.getPageCount()).toBe(1);
    expect(pageIndex).toBe(0);
    expect(sealRect.width).toBeCloseTo((42 * 72) / 25.4, 1);
    const { width, height } = doc.getPage(pageIndex).getSize();
    for (const rect of [sealRect, approverRect]) {
      expect(rect.x).toBeGreaterThan(0);
      expect(rect.y).toBeGreaterThan(0);
      expect(rect.x + rect.width).toBeLessThan(width);
      expect(rect.y + rect.height).toBeLessThan(height);
    }
    expect(overlap(sealRect, approverRect)).toBe(false);
  });

  it('continues long answers on a second page, the seal, signature and QR on the last one', async () => {
    const example = weather.formSchema.examples[0];
    const form = {
      ...example,
      eventPlace: filler(String(example.eventPlace), 200),
      eventDescription: filler(String(example.eventDescription), 500),
      purpose: filler(String(example.purpose), 200),
    };
    const { doc, pageIndex } = await renderCertificate(input({ form }));
    expect(doc.getPageCount()).toBe(2);
    expect(pageIndex).toBe(1);
  });

  it('signs in the body face when the brush face lacks a character of the approver’s name', async () => {
    const withBrush = (await save(input())).toString('latin1');
    const without = (await save(input({ approver: { name: '李玥' } }))).toString('latin1');
    expect(withBrush).toContain('+MaShanZheng-Regular');
    expect(without).not.toContain('MaShanZheng');
  });

  it('refuses a character the font cannot draw rather than print an empty box', async () => {
    const form = { ...weather.formSchema.examples[0], applicantName: '𠮷田' };
    await expect(renderCertificate(input({ form }))).rejects.toThrow(/no glyph for "𠮷" \(U\+20BB7\)/);
  });

  it('refuses a verification URL too long for a QR code of version 4', async () => {
    await expect(
      renderCertificate(
        input({ verificationUrl: 'https://zhengming.zengcheng.gov.cn/v/440118001001WT2026000123K?c=7KQ2M9XD' }),
      ),
    ).rejects.toThrow(/QR version/);
  });
});
