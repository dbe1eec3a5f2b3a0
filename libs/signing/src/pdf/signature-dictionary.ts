import { randomBytes } from 'node:crypto';
import { PDFArray, PDFContext, PDFDict, PDFHexString, PDFName, PDFNumber, PDFString } from 'pdf-lib';

export interface SignatureInfo {
  signedAt: Date;
  reason: string;
  location?: string;
  signerName?: string;
  contactInfo?: string;
  /** Bytes reserved for the CMS DER (see `contentsSizeFor`); the file holds twice as many hex digits. */
  contentsSize: number;
}

/**
 * China Standard Time has no daylight saving, and the certificates are issued for committees in
 * China: /M is written in +08'00' whatever zone the server runs in.
 */
const CHINA_OFFSET_MINUTES = 8 * 60;

/** A PDF date (ISO 32000-1 §7.9.4), e.g. `D:20240501093000+08'00'`. */
export function pdfDate(date: Date, offsetMinutes = CHINA_OFFSET_MINUTES): string {
  if (Number.isNaN(date.getTime())) {
    throw new Error('Cannot write an invalid date into a PDF');
  }
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp =
    String(local.getUTCFullYear()).padStart(4, '0') +
    two(local.getUTCMonth() + 1) +
    two(local.getUTCDate()) +
    two(local.getUTCHours()) +
    two(local.getUTCMinutes()) +
    two(local.getUTCSeconds());
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `D:${stamp}${sign}${two(Math.floor(abs / 60))}'${two(abs % 60)}'`;
}

/**
 * Ten stars per number: the placeholder is at least as wide as `[0 a b c]` with 10-digit offsets, so
 * the real ByteRange can overwrite it in place (padded with spaces) without moving any offset.
 */
const BYTE_RANGE_SLOT = '*'.repeat(10);

/**
 * The /ByteRange placeholder: a random nonce makes the written text unique in the file, so the
 * signing step finds it with one byte search instead of parsing the PDF. The nonce goes in a string,
 * not a name: pdf-lib keeps every PDFName ever made in a process-wide pool, and one per signature would leak.
 */
export function byteRangePlaceholder(context: PDFContext): PDFArray {
  const array = PDFArray.withContext(context);
  array.push(PDFNumber.of(0));
  array.push(PDFString.of(`${BYTE_RANGE_SLOT}${randomBytes(8).toString('hex')}`));
  array.push(PDFName.of(BYTE_RANGE_SLOT));
  array.push(PDFName.of(BYTE_RANGE_SLOT));
  return array;
}

/**
 * The signature dictionary (ISO 32000-1 §12.8.1, ETSI EN 319 142-1 §5.3). /ByteRange comes right
 * before /Contents: the signing step (`fillSignature`) relies on that order, which pdf-lib keeps (insertion order).
 * Text entries are UTF-16BE hex strings so Chinese survives every reader.
 */
export function signatureDictionary(context: PDFContext, info: SignatureInfo, byteRange: PDFArray): PDFDict {
  if (!Number.isInteger(info.contentsSize) || info.contentsSize <= 0) {
    throw new Error(`contentsSize must be a positive integer, got ${info.contentsSize}`);
  }
  const dict = PDFDict.withContext(context);
  dict.set(PDFName.of('Type'), PDFName.of('Sig'));
  dict.set(PDFName.of('Filter'), PDFName.of('Adobe.PPKLite'));
  dict.set(PDFName.of('SubFilter'), PDFName.of('ETSI.CAdES.detached'));
  dict.set(PDFName.of('ByteRange'), byteRange);
  dict.set(PDFName.of('Contents'), PDFHexString.of('0'.repeat(info.contentsSize * 2)));
  dict.set(PDFName.of('M'), PDFString.of(pdfDate(info.signedAt)));
  dict.set(PDFName.of('Reason'), PDFHexString.fromText(info.reason));
  if (info.location !== undefined) dict.set(PDFName.of('Location'), PDFHexString.fromText(info.location));
  if (info.signerName !== undefined) dict.set(PDFName.of('Name'), PDFHexString.fromText(info.signerName));
  if (info.contactInfo !== undefined) dict.set(PDFName.of('ContactInfo'), PDFHexString.fromText(info.contactInfo));
  return dict;
}
