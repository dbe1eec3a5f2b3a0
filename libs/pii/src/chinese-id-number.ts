/**
 * Resident identity numbers (公民身份号码) as GB 11643-1999 defines them: six digits of the address
 * code, eight of the birth date, three of sequence (odd for men, even for women) and a check
 * character computed with ISO 7064 MOD 11-2.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARACTERS = '10X98765432';
const SHAPE = /^[1-9]\d{5}(\d{4})(\d{2})(\d{2})\d{3}[\dX]$/;

export type IdNumberProblem = 'format' | 'birthDate' | 'checkDigit';

export interface ParsedIdNumber {
  /** Upper-cased, trimmed: the one form we store, hash and compare. */
  normalized: string;
  regionCode: string;
  birthDate: string;
  sex: 'male' | 'female';
}

export function idNumberCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARACTERS[sum % 11];
}

export function normalizeIdNumber(input: string): string {
  return input.trim().toUpperCase();
}

/** The parsed number, or the first problem found; `today` bounds birth dates in the future. */
export function parseIdNumber(
  input: string,
  today: Date = new Date(),
): { ok: true; value: ParsedIdNumber } | { ok: false; problem: IdNumberProblem } {
  const normalized = normalizeIdNumber(input);
  const match = SHAPE.exec(normalized);
  if (!match) return { ok: false, problem: 'format' };
  const [, year, month, day] = match;
  const birth = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const isRealDate =
    birth.getUTCFullYear() === Number(year) &&
    birth.getUTCMonth() === Number(month) - 1 &&
    birth.getUTCDate() === Number(day);
  if (!isRealDate || Number(year) < 1900 || birth.getTime() > today.getTime()) {
    return { ok: false, problem: 'birthDate' };
  }
  if (idNumberCheckCharacter(normalized) !== normalized[17]) return { ok: false, problem: 'checkDigit' };
  return {
    ok: true,
    value: {
      normalized,
      regionCode: normalized.slice(0, 6),
      birthDate: `${year}-${month}-${day}`,
      sex: Number(normalized[16]) % 2 === 1 ? 'male' : 'female',
    },
  };
}

export function isValidIdNumber(input: string): boolean {
  return parseIdNumber(input).ok;
}
