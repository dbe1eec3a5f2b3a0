import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseTemplateText,
  validateDefinition,
  type CertificateTypeDefinition,
  type TemplateParagraph,
} from './certificate-type-definition';

const seedDir = join(__dirname, '../../../db/seeds/certificate-types');
const seeds: CertificateTypeDefinition[] = readdirSync(seedDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(seedDir, f), 'utf8')));

describe(validateDefinition.name, () => {
  it('accepts the five certificate types of the district, each with a valid example form', () => {
    expect(seeds.map((s) => s.code).sort()).toEqual([
      'business-premises-use',
      'entertainment-venue-deregistration',
      'ev-charger-installation',
      'guardianship',
      'weather',
    ]);
    for (const seed of seeds)
      expect({ code: seed.code, problems: validateDefinition(seed) }).toEqual({ code: seed.code, problems: [] });
  });

  it('rejects a definition whose example does not fill the form correctly', () => {
    const seed = structuredClone(seeds[0]);
    seed.formSchema.examples = [{ ...seed.formSchema.examples[0], phone: '12345' }];
    const problems = validateDefinition(seed);
    expect(problems.length).toBeGreaterThan(0);
    expect(new Set(problems.map((p) => p.path))).toEqual(new Set(['/formSchema/examples/0/phone']));
  });

  it('rejects a form schema with an unknown keyword (strict mode)', () => {
    const seed = structuredClone(seeds[0]);
    (seed.formSchema as Record<string, unknown>).requird = ['x'];
    expect(validateDefinition(seed)).toEqual([expect.objectContaining({ path: '/formSchema' })]);
  });

  it('rejects duplicate material keys and unknown file kinds', () => {
    const seed = structuredClone(seeds[0]);
    seed.materials = [seed.materials[0], seed.materials[0]];
    expect(validateDefinition(seed)).toEqual([{ path: '/materials', message: expect.stringContaining('重复') }]);
    (seed.materials[0] as { accepts: string[] }).accepts = ['exe'];
    expect(validateDefinition(seed).length).toBeGreaterThan(0);
  });

  it('rejects a definition without an example form', () => {
    const seed = structuredClone(seeds[0]);
    seed.formSchema.examples = [];
    expect(validateDefinition(seed).length).toBeGreaterThan(0);
  });

  it('gives each type its own two-letter number code and a certificate template', () => {
    const codes = seeds.map((s) => s.numberCode);
    expect(new Set(codes).size).toBe(seeds.length);
    for (const code of codes) expect(code).toMatch(/^[A-Z]{2}$/);
    const seed = structuredClone(seeds[0]) as Partial<CertificateTypeDefinition>;
    delete seed.template;
    expect(validateDefinition(seed)).toEqual([{ path: '/template', message: '缺少 template' }]);
  });

  describe('certificate template', () => {
    const guardianship = (): CertificateTypeDefinition =>
      structuredClone(seeds.find((s) => s.code === 'guardianship') as CertificateTypeDefinition);
    const withFirstParagraph = (text: string, optional?: boolean): CertificateTypeDefinition => {
      const seed = guardianship();
      seed.template.body[0] = { text, ...(optional === undefined ? {} : { optional }) };
      return seed;
    };

    it('rejects a placeholder naming a field the form does not have, so a typo never reaches a resident', () => {
      expect(validateDefinition(withFirstParagraph('兹证明{{wardNmae}}是本村（居）居民。'))).toEqual([
        { path: '/template/body/0/text', message: '模板引用了表单中没有的字段 {{wardNmae}}' },
      ]);
    });

    it('rejects stray braces and unknown formatters', () => {
      expect(validateDefinition(withFirstParagraph('兹证明{wardName}是本村（居）居民。'))).toEqual([
        { path: '/template/body/0/text', message: expect.stringContaining('花括号') },
      ]);
      expect(validateDefinition(withFirstParagraph('兹证明{{wardName | upper}}。'))).toEqual([
        { path: '/template/body/0/text', message: expect.stringContaining('不认识的格式 upper') },
      ]);
    });

    it('insists that ID numbers are printed masked and dates in Chinese', () => {
      expect(validateDefinition(withFirstParagraph('身份号码{{wardIdNumber}}。'))).toEqual([
        { path: '/template/body/0/text', message: '字段 wardIdNumber 须写作 {{wardIdNumber | maskIdNumber}}' },
      ]);
      expect(validateDefinition(withFirstParagraph('{{wardBirthDate}}出生。'))).toEqual([
        { path: '/template/body/0/text', message: '字段 wardBirthDate 须写作 {{wardBirthDate | date}}' },
      ]);
      expect(validateDefinition(withFirstParagraph('{{wardName | maskIdNumber}}。'))).toEqual([
        { path: '/template/body/0/text', message: '格式 maskIdNumber 不适用于字段 wardName' },
      ]);
    });

    it('lets a field the form may leave empty appear only in an optional paragraph', () => {
      expect(validateDefinition(withFirstParagraph('本证明用于{{purpose}}。'))).toEqual([
        { path: '/template/body/0/text', message: '字段 purpose 可以不填，引用它的段落或行须标明 optional' },
      ]);
      expect(validateDefinition(withFirstParagraph('兹证明{{wardName}}。', true))).toEqual([
        { path: '/template/body/0/text', message: '标明 optional 的段落或行须引用至少一个可以不填的字段' },
      ]);
    });

    it('requires words for every value of an enum printed as text', () => {
      const seed = guardianship();
      delete seed.template.valueText?.relationship['兄/姐'];
      expect(validateDefinition(seed)).toEqual([
        { path: '/template/valueText/relationship', message: '缺少选项 兄/姐 的文字' },
      ]);
      const paragraph = seed.template.body[1] as TemplateParagraph;
      paragraph.text = paragraph.text.replace('{{relationship | text}}', '{{relationship}}');
      expect(validateDefinition(seed)).toEqual(
        expect.arrayContaining([
          { path: '/template/valueText/relationship', message: '模板没有用到 {{relationship | text}}' },
        ]),
      );
    });

    it('checks the placeholders inside a facts table too', () => {
      const seed = structuredClone(
        seeds.find((s) => s.code === 'ev-charger-installation') as CertificateTypeDefinition,
      );
      const table = seed.template.body.find((b) => 'facts' in b);
      if (!table || !('facts' in table)) throw new Error('the EV template has a facts table');
      table.facts[0].value = '{{installAddress}}';
      expect(validateDefinition(seed)).toEqual([
        {
          path: `/template/body/${seed.template.body.indexOf(table)}/facts/0/value`,
          message: '模板引用了表单中没有的字段 {{installAddress}}',
        },
      ]);
    });
  });

  describe(parseTemplateText.name, () => {
    it('splits a text into literals and placeholders with their formatters', () => {
      expect(parseTemplateText('兹证明{{applicantName}}（{{ idNumber | maskIdNumber }}）。')).toEqual([
        { kind: 'literal', text: '兹证明' },
        { kind: 'field', field: 'applicantName' },
        { kind: 'literal', text: '（' },
        { kind: 'field', field: 'idNumber', formatter: 'maskIdNumber' },
        { kind: 'literal', text: '）。' },
      ]);
    });
  });
});
