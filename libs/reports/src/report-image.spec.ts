import { inflateSync } from 'node:zlib';
import {
  changeText,
  issuanceChartOption,
  percentText,
  reportImageOption,
  shortName,
  type CommitteesChartInput,
  type EfficiencyChartInput,
  type IssuanceChartInput,
} from './report-charts';
import { REPORT_IMAGE_FONT_FAMILY, REPORT_IMAGE_SIZE, renderChartSvg, svgToPng } from './report-image';

const range = { from: '2026-01-01', to: '2026-03-31' };

const issuance: IssuanceChartInput = {
  range,
  granularity: 'month',
  series: ['2026-01', '2026-02', '2026-03'].flatMap((period, i) => [
    { period, typeCode: 'weather', typeName: '气象证明', applications: 10 + i, certificates: 8 + i },
    { period, typeCode: 'guardian', typeName: '监护人证明', applications: 4, certificates: 3 },
  ]),
  totals: { applications: 45, certificates: 36, applicationsChange: 0.125, certificatesChange: -0.04 },
};

const committees: CommitteesChartInput = {
  range,
  committees: [
    { rank: 1, code: '440118001001', name: '城南社区居民委员会', townName: '荔城街道', certificates: 12, sealUses: 12 },
    { rank: 2, code: '440118100001', name: '新塘社区居民委员会', townName: '新塘镇', certificates: 5, sealUses: 5 },
    { rank: 3, code: '440118100002', name: '沙埔村民委员会', townName: '新塘镇', certificates: 0, sealUses: 0 },
  ],
  towns: [
    { code: '440118001', name: '荔城街道', committees: 1, committeesIssuing: 1, certificates: 12 },
    { code: '440118100', name: '新塘镇', committees: 2, committeesIssuing: 1, certificates: 5 },
  ],
  coverage: { committees: 3, committeesIssuing: 2, share: 0.6667 },
};

const efficiency: EfficiencyChartInput = {
  range,
  processing: { certificates: 36, medianHours: 26, p90Hours: 70 },
  withinLimit: { share: 0.9167 },
  supplements: { share: 0.25, averageRounds: 0.3 },
  rejections: { rate: 0.1 },
  verifications: {
    sectors: [
      { code: 'bank', name: '银行' },
      { code: 'anonymous', name: '匿名核验' },
    ],
    months: [
      { month: '2026-01', total: 5, bank: 3, anonymous: 2 },
      { month: '2026-02', total: 1, bank: 1, anonymous: 0 },
      { month: '2026-03', total: 0, bank: 0, anonymous: 0 },
    ],
  },
};

/** The pixel size a PNG declares in its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('report charts', () => {
  it('name committees short, keeping what they are', () => {
    expect(shortName('城南社区居民委员会')).toBe('城南社区');
    expect(shortName('沙埔村民委员会')).toBe('沙埔村');
  });

  it('say ratios and year-on-year changes as a reader expects', () => {
    expect(percentText(0.9167)).toBe('91.7%');
    expect(percentText(null)).toBe('—');
    expect(changeText(0.125)).toBe('+12.5%');
    expect(changeText(-0.04)).toBe('−4.0%');
    expect(changeText(null)).toBe('—');
  });

  it('stack each type’s certificates per month and draw all applications as one line', () => {
    const option = issuanceChartOption(issuance);
    expect((option.xAxis as { data: string[] }).data).toEqual(['2026年1月', '2026年2月', '2026年3月']);
    const series = option.series as { name: string; type: string; data: number[] }[];
    expect(series.map((s) => [s.type, s.name])).toEqual([
      ['bar', '气象证明（出具）'],
      ['bar', '监护人证明（出具）'],
      ['line', '申请数（合计）'],
    ]);
    expect(series[0].data).toEqual([8, 9, 10]);
    expect(series[2].data).toEqual([14, 15, 16]);
  });
});

describe(renderChartSvg.name, () => {
  it.each([
    ['issuance', () => reportImageOption('issuance', issuance, REPORT_IMAGE_FONT_FAMILY), ['开具情况', '气象证明']],
    ['committees', () => reportImageOption('committees', committees, REPORT_IMAGE_FONT_FAMILY), ['城南社区', '新塘镇']],
    [
      'efficiency',
      () => reportImageOption('efficiency', efficiency, REPORT_IMAGE_FONT_FAMILY),
      ['P90 70 小时', '银行'],
    ],
  ] as const)('draws the %s report as an SVG with its Chinese labels, no browser', (_name, option, texts) => {
    const svg = renderChartSvg(option());
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(`width="${REPORT_IMAGE_SIZE.width}"`);
    for (const text of texts) expect(svg).toContain(text);
  });

  it('turns the SVG into a PNG twice its size, with glyphs drawn (not an empty picture)', async () => {
    const png = await svgToPng(renderChartSvg(reportImageOption('issuance', issuance, REPORT_IMAGE_FONT_FAMILY)));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(pngSize(png)).toEqual({ width: REPORT_IMAGE_SIZE.width * 2, height: REPORT_IMAGE_SIZE.height * 2 });
    // A blank white picture compresses to almost nothing; a chart with text does not.
    const idat: Buffer[] = [];
    for (let at = 8; at < png.length;) {
      const length = png.readUInt32BE(at);
      if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
      at += length + 12;
    }
    expect(inflateSync(Buffer.concat(idat)).length).toBeGreaterThan(1_000_000);
    expect(png.length).toBeGreaterThan(40_000);
  });
});
