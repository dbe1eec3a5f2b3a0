import { describe, expect, it } from '@jest/globals';
import {
  beijingToday,
  choicesOf,
  defaultRange,
  exportUrl,
  reportSearch,
  scopeLabel,
  type CommitteesReport,
  type FilterChoices,
  type IssuanceReport,
} from './reports';

const committees = {
  towns: [
    { code: '440118001', name: '荔城街道' },
    { code: '440118100', name: '新塘镇' },
  ],
  committees: [
    { code: '440118100001', name: '新塘社区居民委员会', townCode: '440118100' },
    { code: '440118001001', name: '城南社区居民委员会', townCode: '440118001' },
  ],
} as unknown as CommitteesReport;
const issuance = { byType: [{ typeCode: 'weather', typeName: '气象证明' }] } as unknown as IssuanceReport;
const one = {
  towns: [committees.towns[0]],
  committees: [committees.committees[1]],
} as unknown as CommitteesReport;

const query = { from: '2026-01-01', to: '2026-06-30', town: '440118001', committee: '440118001001', type: '' };

describe('the dashboard’s filters', () => {
  it('know the caller’s reach from what the unfiltered reports listed', () => {
    const district = choicesOf(true, committees, issuance);
    expect(district.reach).toBe('district');
    expect(district.committees.map((c) => c.code)).toEqual(['440118001001', '440118100001']);
    expect(district.types).toEqual([{ code: 'weather', name: '气象证明' }]);
    expect(choicesOf(false, committees, issuance).reach).toBe('town');
    expect(choicesOf(false, one, issuance).reach).toBe('committee');
  });

  it('never send the town or committee a caller is fixed to (the API would refuse a committee’s staff naming a town)', () => {
    const reach = (r: FilterChoices['reach']) => ({ ...choicesOf(true, committees, issuance), reach: r });
    expect(reportSearch(query, reach('district'))).toBe(
      'from=2026-01-01&to=2026-06-30&town=440118001&committee=440118001001',
    );
    expect(reportSearch(query, reach('town'))).toBe('from=2026-01-01&to=2026-06-30&committee=440118001001');
    expect(reportSearch({ ...query, type: 'weather' }, reach('committee'), 'png')).toBe(
      'from=2026-01-01&to=2026-06-30&type=weather&format=png',
    );
    expect(exportUrl('committees', query, reach('town'), 'xlsx')).toBe(
      '/api/reports/committees?from=2026-01-01&to=2026-06-30&committee=440118001001&format=xlsx',
    );
  });

  it('say what the page covers', () => {
    const district = choicesOf(true, committees, issuance);
    expect(scopeLabel(district, { ...query, town: '', committee: '' })).toBe('增城区（全区）');
    expect(scopeLabel(district, { ...query, committee: '' })).toBe('荔城街道');
    expect(scopeLabel(district, query)).toBe('荔城街道 · 城南社区居民委员会');
    expect(scopeLabel(choicesOf(false, one, issuance), { ...query, town: '', committee: '' })).toBe('荔城街道');
  });

  it('default to the API’s range: the first of the month eleven months back, to today in Beijing', () => {
    expect(defaultRange('2026-11-26')).toEqual({ from: '2025-12-01', to: '2026-11-26' });
    expect(defaultRange('2026-01-31')).toEqual({ from: '2025-02-01', to: '2026-01-31' });
    // 23:30 in London on 31 December is already the new year in Beijing.
    expect(beijingToday(new Date('2026-12-31T23:30:00Z'))).toBe('2027-01-01');
  });
});
