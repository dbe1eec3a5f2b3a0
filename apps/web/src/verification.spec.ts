import { describe, expect, it } from '@jest/globals';
import { ApiError } from './api';
import {
  countdownText,
  durationText,
  formatVerificationCode,
  normalizeCertificateNumber,
  normalizeVerificationCode,
  pdfReasonText,
  sealStateText,
  verificationErrorMessage,
} from './verification';

describe('certificate numbers and verification codes as typed', () => {
  it('reads printed and compact numbers in the printed form', () => {
    expect(normalizeCertificateNumber('440118001001-EV-2026-000123-K7')).toBe('440118001001-EV-2026-000123-K7');
    expect(normalizeCertificateNumber(' 440118001001ev2026000123k7 ')).toBe('440118001001-EV-2026-000123-K7');
    expect(normalizeCertificateNumber('440118001001EV2026000123K')).toBe('440118001001-EV-2026-000123-K');
    expect(normalizeCertificateNumber('4401 1800 1001 EV')).toBe('440118001001EV');
    expect(normalizeCertificateNumber('证明编号')).toBe('');
    expect(normalizeCertificateNumber('')).toBe('');
  });

  it('reads a code in any case, with spaces or dashes, and Crockford look-alikes', () => {
    expect(normalizeVerificationCode('7kq2-m9xd')).toBe('7KQ2M9XD');
    expect(normalizeVerificationCode(' 7KQ2 M9XD ')).toBe('7KQ2M9XD');
    expect(normalizeVerificationCode('ABCD-EFGH')).toBe('ABCDEFGH');
    expect(normalizeVerificationCode('oIlo-0000')).toBe('01100000');
    expect(normalizeVerificationCode('ABCD-EFGU')).toBeNull();
    expect(normalizeVerificationCode('ABCDEFG')).toBeNull();
    expect(formatVerificationCode('abcdefgh')).toBe('ABCD-EFGH');
  });
});

describe('wording', () => {
  it('says how long to wait when verification is rate limited', () => {
    const limited = new ApiError(429, 'VERIFICATION_RATE_LIMITED', 'Too many', { retryAfterSeconds: 42 });
    expect(verificationErrorMessage(limited, '')).toBe('核验过于频繁，请 42 秒后再试');
    const bare = new ApiError(429, 'VERIFICATION_RATE_LIMITED', 'Too many');
    expect(verificationErrorMessage(bare, '')).toBe('核验过于频繁，请稍后再试');
    expect(verificationErrorMessage(new ApiError(400, 'VALIDATION_FAILED', '校验码格式不正确'), '')).toBe(
      '校验码格式不正确',
    );
    expect(verificationErrorMessage(new Error('boom'), '出错了')).toBe('出错了');
  });

  it('words PDF reasons in Chinese and keeps unknown codes visible', () => {
    expect(pdfReasonText('document_mismatch')).toBe('文件与出具记录不一致');
    expect(pdfReasonText('something_new')).toBe('其他问题（something_new）');
  });

  it('words durations and countdowns', () => {
    expect(durationText(45)).toBe('45 秒');
    expect(durationText(600)).toBe('10 分钟');
    expect(durationText(3_900)).toBe('1 小时 5 分钟');
    expect(countdownText(42.2)).toBe('43 秒');
    expect(countdownText(245)).toBe('4 分 05 秒');
  });
});

describe('sealStateText', () => {
  const state = (status: 'active' | 'suspended' | 'revoked', reason: string | null = null) => ({
    status,
    reason,
    since: '2026-01-01T00:00:00Z',
  });
  const seal = { name: '城南社区居民委员会', code: '4401180010011', certificateSerial: 'ab' };

  it('says the seal then and now, with the reason it is out of force', () => {
    expect(sealStateText({ ...seal, atSigning: state('active'), now: state('active') })).toBe('签章时及现在均为启用');
    expect(sealStateText({ ...seal, atSigning: state('active'), now: state('revoked', '村委会撤并') })).toBe(
      '签章时启用，现已注销（村委会撤并）',
    );
    expect(sealStateText({ ...seal, atSigning: state('suspended', '保管人离职'), now: state('active') })).toBe(
      '签章时暂停使用，现启用',
    );
    expect(sealStateText({ ...seal, atSigning: null, now: state('active') })).toBe('签章时未启用，现启用');
  });
});
