import {
  checkCharacters,
  compactCertificateNumber,
  formatCertificateNumber,
  formatVerificationCode,
  newVerificationCode,
  parseCertificateNumber,
} from './certificate-number';

describe(formatCertificateNumber.name, () => {
  const parts = { committeeCode: '440118001001', numberCode: 'EV', year: 2026, serial: 123 };
  const number = formatCertificateNumber(parts);

  it('reads as committee, type, year, serial and a check character', () => {
    expect(number).toMatch(/^440118001001-EV-2026-000123-[0-9A-Z]{2}$/);
    expect(parseCertificateNumber(number)).toEqual(parts);
    expect(parseCertificateNumber(compactCertificateNumber(number))).toEqual(parts);
    expect(parseCertificateNumber(number.toLowerCase())).toEqual(parts);
  });

  it('catches every single mistyped character', () => {
    const compact = compactCertificateNumber(number);
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    let tried = 0;
    for (let i = 0; i < compact.length; i++) {
      for (const char of alphabet) {
        if (char === compact[i]) continue;
        const typo = compact.slice(0, i) + char + compact.slice(i + 1);
        expect(parseCertificateNumber(typo)).toBeNull();
        tried++;
      }
    }
    expect(tried).toBe(compact.length * 35);
  });

  it('catches every swap of two neighbouring characters', () => {
    for (let serial = 1; serial <= 2000; serial++) {
      const compact = compactCertificateNumber(formatCertificateNumber({ ...parts, serial }));
      for (let i = 0; i + 1 < compact.length; i++) {
        if (compact[i] === compact[i + 1]) continue;
        const swapped = compact.slice(0, i) + compact[i + 1] + compact[i] + compact.slice(i + 2);
        expect(parseCertificateNumber(swapped)).toBeNull();
      }
    }
  });

  it('refuses numbers of the wrong shape and parts out of range', () => {
    expect(parseCertificateNumber('')).toBeNull();
    expect(parseCertificateNumber('440118001001-EV-2026-000123')).toBeNull();
    expect(parseCertificateNumber('440118001001-E1-2026-000123-K7')).toBeNull();
    expect(() => formatCertificateNumber({ ...parts, serial: 0 })).toThrow(RangeError);
    expect(() => formatCertificateNumber({ ...parts, serial: 1_000_000 })).toThrow(RangeError);
    expect(() => formatCertificateNumber({ ...parts, numberCode: 'ev' })).toThrow(RangeError);
    expect(() => checkCharacters('AB-1')).toThrow(RangeError);
  });
});

describe(newVerificationCode.name, () => {
  it('makes 8 characters that are never confused on paper, printed in two groups', () => {
    const codes = new Set(Array.from({ length: 2000 }, () => newVerificationCode()));
    expect(codes.size).toBe(2000);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(formatVerificationCode('7KQ2M9XD')).toBe('7KQ2 M9XD');
  });
});
