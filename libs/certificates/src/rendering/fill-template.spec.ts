import type { CertificateTemplate } from '@zhengming/certificate-types';
import { chineseDateOf, chineseDateOfInstant, fillTemplate } from './fill-template';

const template: CertificateTemplate = {
  title: '监护人证明',
  body: [
    { text: '兹证明{{wardName}}（公民身份号码：{{wardIdNumber | maskIdNumber}}，{{wardBirthDate | date}}出生）。' },
    { text: '{{applicantName}}与其{{relationship | text}}，联系电话{{phone | maskPhone}}。' },
    { text: '本证明用于{{purpose}}。', optional: true },
    {
      facts: [
        { label: '功率', value: '{{powerKw}}千瓦' },
        { label: '说明', value: '{{note}}', optional: true },
      ],
    },
  ],
  valueText: { relationship: { 父母: '系父母子女关系' } },
};

const form = {
  wardName: '黄梓涵',
  wardIdNumber: '440118201509230047',
  wardBirthDate: '2015-09-23',
  applicantName: '黄志强',
  relationship: '父母',
  phone: '15820467391',
  purpose: '办理小学转学手续',
  powerKw: 7,
};

describe(fillTemplate.name, () => {
  it('fills placeholders with the answers, masking ID and phone numbers and writing dates in Chinese', () => {
    expect(fillTemplate(template, form)).toEqual({
      title: '监护人证明',
      blocks: [
        { kind: 'paragraph', text: '兹证明黄梓涵（公民身份号码：4401**********0047，2015年9月23日出生）。' },
        { kind: 'paragraph', text: '黄志强与其系父母子女关系，联系电话158****7391。' },
        { kind: 'paragraph', text: '本证明用于办理小学转学手续。' },
        { kind: 'facts', rows: [{ label: '功率', value: '7千瓦' }] },
      ],
    });
  });

  it('never prints the full ID number', () => {
    const text = JSON.stringify(fillTemplate(template, form));
    expect(text).not.toContain(form.wardIdNumber);
    expect(text).not.toContain(form.phone);
  });

  it('leaves out an optional paragraph whose field is empty', () => {
    const { blocks } = fillTemplate(template, { ...form, purpose: '  ' });
    expect(blocks.map((b) => (b.kind === 'paragraph' ? b.text : 'facts'))).not.toContain('本证明用于。');
    expect(blocks).toHaveLength(3);
  });

  it('rejects a placeholder the form does not answer instead of printing a blank', () => {
    const typo: CertificateTemplate = { ...template, body: [{ text: '兹证明{{wardNmae}}是本村（居）居民。' }] };
    expect(() => fillTemplate(typo, form)).toThrow(/needs a form field left empty/);
    expect(() => fillTemplate(template, { ...form, powerKw: undefined })).toThrow(/needs a form field left empty/);
  });

  it('rejects an enum value the template has no words for', () => {
    expect(() => fillTemplate(template, { ...form, relationship: '兄/姐' })).toThrow(/No words for relationship/);
  });

  it('does not double the full stop after an answer that already ends a sentence', () => {
    const sentence: CertificateTemplate = { title: '气象证明', body: [{ text: '具体情况如下：{{note}}。' }] };
    expect(fillTemplate(sentence, { note: '仓库进水。 ' }).blocks).toEqual([
      { kind: 'paragraph', text: '具体情况如下：仓库进水。' },
    ]);
    expect(fillTemplate(sentence, { note: '仓库\n进水' }).blocks).toEqual([
      { kind: 'paragraph', text: '具体情况如下：仓库 进水。' },
    ]);
  });
});

describe('Chinese dates', () => {
  it('writes a form date without leading zeros', () => {
    expect(chineseDateOf('2026-03-01')).toBe('2026年3月1日');
    expect(() => chineseDateOf('2026/03/01')).toThrow();
  });

  it('dates an instant by the calendar in China', () => {
    expect(chineseDateOfInstant(new Date('2026-11-21T15:59:59Z'))).toBe('2026年11月21日');
    expect(chineseDateOfInstant(new Date('2026-11-21T16:00:00Z'))).toBe('2026年11月22日');
  });
});
