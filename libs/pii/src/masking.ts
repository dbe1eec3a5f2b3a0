/**
 * How personal data looks wherever a person sees it: enough to recognise one's own, not enough to
 * learn someone else's. Masking never fails: odd input is masked whole rather than shown.
 */
export function maskIdNumber(idNumber: string): string {
  const value = idNumber.trim();
  if (value.length < 10) return '*'.repeat(value.length);
  return `${value.slice(0, 4)}${'*'.repeat(value.length - 8)}${value.slice(-4)}`;
}

export function maskPhone(phone: string): string {
  const value = phone.trim();
  if (value.length < 8) return '*'.repeat(value.length);
  return `${value.slice(0, 3)}${'*'.repeat(value.length - 7)}${value.slice(-4)}`;
}

/** 张三 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明. */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return chars.join('');
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

const MOBILE = /^1[3-9]\d{9}$/;

/** Exactly a mainland mobile number as stored: 11 digits, nothing to normalise. */
export function isMobilePhoneNumber(value: string): boolean {
  return MOBILE.test(value);
}

export function normalizePhone(input: string): string {
  return input.replace(/[\s-]/g, '').replace(/^\+?86/, '');
}

export function isValidMobilePhone(input: string): boolean {
  return isMobilePhoneNumber(normalizePhone(input));
}
