import { IdentityErrorCode, IdentityException } from './identity.exception';

/**
 * Unified social credit codes (统一社会信用代码) as GB 32100-2015 defines them: 18 characters from a
 * 31-character alphabet (no I, O, Z, S, V):
 *
 * - 1: the registration authority (登记管理部门), e.g. 9 for market regulation (工商);
 * - 2: the kind of organization under that authority, e.g. 91 an enterprise (企业);
 * - 3–8: the administrative division of the registration (GB/T 2260), six digits;
 * - 9–17: the organization code (组织机构代码, GB 11714-1997): eight characters and their own check
 *   character (0–9 or X);
 * - 18: the check character over the first 17 (GB 32100-2015 §4.3, modulus 31).
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const SHAPE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{8}[0-9X][0-9A-HJ-NPQRTUWXY]$/;

/** GB 11714-1997 §5: weights of the organization code's eight characters, modulus 11. */
const ORGANIZATION_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;

export type CreditCodeProblem = 'format' | 'organizationCode' | 'checkCharacter';

export interface ParsedCreditCode {
  value: string;
  /** 登记管理部门代码: 1 机构编制, 5 民政, 9 工商 (market regulation), Y 其他… */
  registrationAuthority: string;
  /** 机构类别代码 under that authority: for 9, 1 企业, 2 个体工商户, 3 农民专业合作社. */
  category: string;
  divisionCode: string;
  organizationCode: string;
}

export function creditCodeCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]) * WEIGHTS[i];
  return ALPHABET[(31 - (sum % 31)) % 31];
}

/**
 * The check character of an organization code's first eight characters (GB 11714-1997): digits
 * count as themselves, letters A–Z as 10–35; C9 = 11 − (Σ Ci·Wi mod 11), 10 written X and 11 written 0.
 */
export function organizationCodeCheckCharacter(first8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number.parseInt(first8[i], 36) * ORGANIZATION_CODE_WEIGHTS[i];
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

/** The code normalised (trimmed, upper case) and taken apart, or the first problem found. */
export function parseCreditCode(
  input: string,
): { ok: true; value: ParsedCreditCode } | { ok: false; problem: CreditCodeProblem } {
  const value = input.trim().toUpperCase();
  if (!SHAPE.test(value)) return { ok: false, problem: 'format' };
  const organizationCode = value.slice(8, 17);
  if (organizationCodeCheckCharacter(organizationCode) !== organizationCode[8]) {
    return { ok: false, problem: 'organizationCode' };
  }
  if (creditCodeCheckCharacter(value) !== value[17]) return { ok: false, problem: 'checkCharacter' };
  return {
    ok: true,
    value: {
      value,
      registrationAuthority: value[0],
      category: value[1],
      divisionCode: value.slice(2, 8),
      organizationCode,
    },
  };
}

export function isValidCreditCode(input: string): boolean {
  return parseCreditCode(input).ok;
}

/** The normalised code, or a coded refusal naming what is wrong (never echoing the code). */
export function requireCreditCode(input: string): ParsedCreditCode {
  const parsed = parseCreditCode(input);
  if (!parsed.ok) throw new IdentityException(IdentityErrorCode.CreditCodeInvalid, { problem: parsed.problem });
  return parsed.value;
}
