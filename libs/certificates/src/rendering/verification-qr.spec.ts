import { encodeVerificationQr, MAX_QR_VERSION } from './verification-qr';

describe(encodeVerificationQr.name, () => {
  it('fits a verification URL on a district host into a version-4 symbol at level M', () => {
    // The certificate number runs in alphanumeric mode, the rest in byte mode (62 bytes at most).
    const qr = encodeVerificationQr('https://zm.zengcheng.gov.cn/v/440118001001EV2026000123K?c=7KQ2M9XD');
    expect(qr.version).toBeLessThanOrEqual(MAX_QR_VERSION);
    expect(qr.size).toBe(17 + 4 * qr.version);
  });

  it('merges the dark modules of a row into runs', () => {
    const qr = encodeVerificationQr('http://localhost:3000/v/440118001001EV2026000123K?c=7KQ2M9XD');
    // The top-left finder pattern: a run of 7 dark modules in the first row.
    expect(qr.runs[0]).toEqual({ row: 0, col: 0, length: 7 });
    for (const run of qr.runs) expect(run.col + run.length).toBeLessThanOrEqual(qr.size);
  });

  it('refuses a URL that would need a denser symbol than can be scanned from paper', () => {
    expect(() =>
      encodeVerificationQr('https://zhengming.zengcheng.gov.cn/v/440118001001EV2026000123K?c=7KQ2M9XD'),
    ).toThrow(/needs QR version 5 \(at most 4/);
  });
});
