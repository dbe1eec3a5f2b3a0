import { randomBytes } from 'node:crypto';
import { idNumberCheckCharacter, parseIdNumber } from './chinese-id-number';
import { maskIdNumber, maskName, maskPhone, isValidMobilePhone } from './masking';
import { PiiCipher, PiiDecryptionError } from './pii-cipher';

describe('Chinese resident ID numbers (GB 11643)', () => {
  // 11010519491231002X is the standard's own worked example.
  it.each(['11010519491231002X', '11010519491231002x', '440118198603152415'])('accepts %s', (value) => {
    expect(parseIdNumber(value).ok).toBe(true);
  });

  it('reads the birth date and sex from the number', () => {
    expect(parseIdNumber('11010519491231002X')).toEqual({
      ok: true,
      value: { normalized: '11010519491231002X', regionCode: '110105', birthDate: '1949-12-31', sex: 'female' },
    });
  });

  it.each([
    ['11010519491231002', 'format'],
    ['01010519491231002X', 'format'],
    ['1101051949123100AX', 'format'],
    ['110105194902300021', 'birthDate'],
    ['110105189912310021', 'birthDate'],
    ['110105194912310021', 'checkDigit'],
  ])('rejects %s (%s)', (value, problem) => {
    expect(parseIdNumber(value)).toEqual({ ok: false, problem });
  });

  it('rejects a birth date in the future', () => {
    const first17 = '44011820991231001';
    expect(parseIdNumber(first17 + idNumberCheckCharacter(first17), new Date('2026-11-21'))).toEqual({
      ok: false,
      problem: 'birthDate',
    });
  });

  it('detects every single-digit change through the check character', () => {
    const valid = '440118198603152415';
    for (let position = 0; position < 17; position++) {
      const digit = (Number(valid[position]) + 1) % 10;
      const changed = valid.slice(0, position) + digit + valid.slice(position + 1);
      const result = parseIdNumber(changed);
      expect(result.ok).toBe(false);
    }
  });
});

describe('masking', () => {
  it('shows the first four and last four digits of an ID number', () => {
    expect(maskIdNumber('440118198603152415')).toBe('4401**********2415');
  });
  it('shows the first three and last four digits of a phone number', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
  });
  it.each([
    ['张三', '张*'],
    ['张小明', '张*明'],
    ['欧阳小明', '欧**明'],
  ])('masks the name %s as %s', (name, masked) => expect(maskName(name)).toBe(masked));
  it('masks short odd values whole instead of showing them', () => {
    expect(maskIdNumber('12345')).toBe('*****');
    expect(maskPhone('110')).toBe('***');
  });
  it('accepts mainland mobile numbers only', () => {
    expect(isValidMobilePhone('138 1234 5678')).toBe(true);
    expect(isValidMobilePhone('+8613812345678')).toBe(true);
    expect(isValidMobilePhone('12812345678')).toBe(false);
    expect(isValidMobilePhone('020-12345678')).toBe(false);
  });
});

describe(PiiCipher.name, () => {
  const key1 = randomBytes(32);
  const key2 = randomBytes(32);
  const hashKey = randomBytes(32);
  const cipherOn = (
    activeKeyId: string,
    keys: [string, Buffer][] = [
      ['k1', key1],
      ['k2', key2],
    ],
  ) => new PiiCipher({ encryptionKeys: new Map(keys), activeKeyId, hashKey });

  it('round-trips a value and never stores it in the clear', () => {
    const sut = cipherOn('k1');
    const stored = sut.encrypt('idNumber', '440118198603152415');
    expect(stored).toMatch(/^zp1\.k1\./);
    expect(stored).not.toContain('440118198603152415');
    expect(sut.decrypt('idNumber', stored)).toBe('440118198603152415');
  });

  it('encrypts the same value differently each time (random IV)', () => {
    const sut = cipherOn('k1');
    expect(sut.encrypt('phone', '13812345678')).not.toBe(sut.encrypt('phone', '13812345678'));
  });

  it('reads values written under an older key after rotation, and marks them stale', () => {
    const old = cipherOn('k1').encrypt('phone', '13812345678');
    const rotated = cipherOn('k2');
    expect(rotated.decrypt('phone', old)).toBe('13812345678');
    expect(rotated.isStale(old)).toBe(true);
    expect(rotated.isStale(rotated.encrypt('phone', '13812345678'))).toBe(false);
  });

  it('refuses a value whose key is no longer configured', () => {
    const old = cipherOn('k1').encrypt('phone', '13812345678');
    expect(() => cipherOn('k2', [['k2', key2]]).decrypt('phone', old)).toThrow(PiiDecryptionError);
  });

  it('refuses a changed ciphertext and a ciphertext moved to another field', () => {
    const sut = cipherOn('k1');
    const stored = sut.encrypt('phone', '13812345678');
    const parts = stored.split('.');
    const body = Buffer.from(parts[3], 'base64url');
    body[0] ^= 1;
    expect(() => sut.decrypt('phone', [...parts.slice(0, 3), body.toString('base64url')].join('.'))).toThrow(
      /authentication failed/,
    );
    expect(() => sut.decrypt('idNumber', stored)).toThrow(PiiDecryptionError);
    expect(() => sut.decrypt('phone', 'not-a-ciphertext')).toThrow(/unknown format/);
  });

  it('hashes deterministically per field and under the configured key only', () => {
    const sut = cipherOn('k1');
    expect(sut.hash('phone', '13812345678')).toBe(cipherOn('k2').hash('phone', '13812345678'));
    expect(sut.hash('phone', '13812345678')).not.toBe(sut.hash('idNumber', '13812345678'));
    const otherHashKey = new PiiCipher({
      encryptionKeys: new Map([['k1', key1]]),
      activeKeyId: 'k1',
      hashKey: randomBytes(32),
    });
    expect(otherHashKey.hash('phone', '13812345678')).not.toBe(sut.hash('phone', '13812345678'));
    expect(sut.matches('phone', '13812345678', sut.hash('phone', '13812345678'))).toBe(true);
    expect(sut.matches('phone', '13812345679', sut.hash('phone', '13812345678'))).toBe(false);
  });
});
