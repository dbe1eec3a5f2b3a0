import { randomInt } from 'node:crypto';

/**
 * Certificate numbers, readable and checkable (DESIGN.md §4): the issuing committee's 12-digit code,
 * the type's two letters, the year, a six-digit serial and two check characters, e.g.
 * `440118001001-EV-2026-000123-K7`. The QR carries the compact form without hyphens; both are accepted.
 */
export interface CertificateNumberParts {
  committeeCode: string;
  numberCode: string;
  year: number;
  serial: number;
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const COMPACT = /^(\d{12})([A-Z]{2})(\d{4})(\d{6})([0-9A-Z]{2})$/;
export const MAX_SERIAL = 999_999;

/**
 * ISO/IEC 7064 MOD 1271-36: two check characters over digits and letters. A pure system with a
 * modulus coprime to every weight difference, so it catches every single wrong character and every
 * swap of two neighbours (the hybrid MOD 37,36 misses a few swaps near the end; measured in the spec).
 */
const MODULUS = 1271;
export function checkCharacters(body: string): string {
  const radix = ALPHABET.length;
  let p = 0;
  for (const char of body) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) throw new RangeError(`Not a certificate number character: ${char}`);
    p = ((p + value) * radix) % MODULUS;
  }
  p = (p * radix) % MODULUS;
  const check = (MODULUS + 1 - p) % MODULUS;
  return ALPHABET[Math.floor(check / radix)] + ALPHABET[check % radix];
}

export function formatCertificateNumber(parts: CertificateNumberParts): string {
  if (!/^\d{12}$/.test(parts.committeeCode)) throw new RangeError('committee code must be 12 digits');
  if (!/^[A-Z]{2}$/.test(parts.numberCode)) throw new RangeError('type number code must be two capital letters');
  if (!Number.isInteger(parts.serial) || parts.serial < 1 || parts.serial > MAX_SERIAL) {
    throw new RangeError(`serial must be 1..${MAX_SERIAL}`);
  }
  const serial = String(parts.serial).padStart(6, '0');
  const body = `${parts.committeeCode}${parts.numberCode}${parts.year}${serial}`;
  return [parts.committeeCode, parts.numberCode, parts.year, serial, checkCharacters(body)].join('-');
}

export function compactCertificateNumber(number: string): string {
  return number.replace(/[\s-]/g, '').toUpperCase();
}

/** The parts of a well-formed number whose check character is right; null for anything else. */
export function parseCertificateNumber(input: string): CertificateNumberParts | null {
  const compact = compactCertificateNumber(input);
  const match = COMPACT.exec(compact);
  if (!match || checkCharacters(compact.slice(0, -2)) !== match[5]) return null;
  return { committeeCode: match[1], numberCode: match[2], year: Number(match[3]), serial: Number(match[4]) };
}

/** Crockford's alphabet: no I, L, O or U, so a code read off paper is typed right. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const VERIFICATION_CODE_LENGTH = 8;

/** The printed verification code: 40 random bits; with the number it opens the verification page. */
export function newVerificationCode(): string {
  let code = '';
  for (let i = 0; i < VERIFICATION_CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** Groups of four for reading aloud and typing: `7KQ2 M9XD`. */
export function formatVerificationCode(code: string): string {
  return code.replace(/(.{4})(?=.)/g, '$1 ');
}
