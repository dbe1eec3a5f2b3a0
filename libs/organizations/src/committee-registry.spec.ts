import { parseCommitteeRegistry, type TownRef } from './committee-registry';

const towns: TownRef[] = [
  { code: '440118001', name: '荔城街道' },
  { code: '440118100', name: '新塘镇' },
];

const header = 'code,name,kind,parent_town';

describe(parseCommitteeRegistry.name, () => {
  it('reads a valid registry, accepting the parent town by code or by name', () => {
    const csv = [
      '# 合成数据',
      header,
      '440118001001,城南社区居民委员会,community,440118001',
      '440118100201,塘美村民委员会,village,新塘镇',
    ].join('\n');
    const sut = parseCommitteeRegistry(csv, towns);
    expect(sut).toEqual({
      ok: true,
      committees: [
        { line: 3, code: '440118001001', name: '城南社区居民委员会', kind: 'community', townCode: '440118001' },
        { line: 4, code: '440118100201', name: '塘美村民委员会', kind: 'village', townCode: '440118100' },
      ],
    });
  });

  it('reports every bad row with its line number in the file', () => {
    const csv = [
      '# comment line counts as line 1',
      header,
      '44011800100,短编码社区居民委员会,community,440118001',
      '440118001002,好社区居民委员会,hamlet,440118001',
      '440118001003,外区社区居民委员会,community,440199001',
      '440118001002,重复社区居民委员会,community,440118001',
      '440118100205,编码不在镇内村民委员会,village,440118001',
    ].join('\n');
    const sut = parseCommitteeRegistry(csv, towns);
    expect(sut.ok).toBe(false);
    if (sut.ok) return;
    expect(sut.problems.map((p) => [p.line, p.column])).toEqual([
      [3, 'code'],
      [4, 'kind'],
      [5, 'parent_town'],
      [6, 'code'],
      [7, 'code'],
    ]);
    expect(sut.problems[3].message).toContain('第 4 行');
  });

  it('refuses a file whose header is not the registry format', () => {
    const sut = parseCommitteeRegistry('id,name,type,town\n1,a,village,x\n', towns);
    expect(sut).toEqual({ ok: false, problems: [{ line: 1, message: expect.stringContaining('表头应为') }] });
  });

  it('refuses an empty registry rather than deactivating every committee', () => {
    const sut = parseCommitteeRegistry(`${header}\n`, towns);
    expect(sut.ok).toBe(false);
  });

  it('refuses two committees of one town with the same name', () => {
    const csv = [
      header,
      '440118001001,同名社区居民委员会,community,440118001',
      '440118001002,同名社区居民委员会,community,440118001',
    ].join('\n');
    const sut = parseCommitteeRegistry(csv, towns);
    expect(sut.ok ? [] : sut.problems.map((p) => p.line)).toEqual([3]);
  });

  it('reports broken CSV quoting instead of throwing', () => {
    const sut = parseCommitteeRegistry(`${header}\n440118001001,"unterminated,community,440118001\n`, towns);
    expect(sut.ok).toBe(false);
  });
});
