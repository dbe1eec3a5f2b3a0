/**
 * Unified social credit codes (统一社会信用代码) as GB 32100-2015 defines them: 18 characters from a
 * 31-character alphabet (no I, O, Z, S, V), the last a check character over the first 17.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const SHAPE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

export function creditCodeCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]) * WEIGHTS[i];
  return ALPHABET[(31 - (sum % 31)) % 31];
}

export function isValidCreditCode(input: string): boolean {
  const value = input.trim().toUpperCase();
  return SHAPE.test(value) && creditCodeCheckCharacter(value) === value[17];
}
