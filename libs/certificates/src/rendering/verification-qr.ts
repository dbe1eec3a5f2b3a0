import { create } from 'qrcode';

/** Largest QR version printed: at 30 mm a version-4 module (33 across) is still ≥ 0.9 mm. */
export const MAX_QR_VERSION = 4;

export interface QrSymbol {
  version: number;
  /** Modules across, without the quiet zone. */
  size: number;
  /** Dark modules merged into horizontal runs, row 0 at the top. */
  runs: { row: number; col: number; length: number }[];
}

/**
 * Encodes the verification URL at error correction level M (15 % of the symbol may be damaged),
 * refusing anything that needs more than version 4: a denser symbol would not scan from paper at
 * the printed size. `qrcode` mixes numeric, alphanumeric and byte segments to keep the version low.
 */
export function encodeVerificationQr(url: string): QrSymbol {
  const qr = create(url, { errorCorrectionLevel: 'M' });
  if (qr.version > MAX_QR_VERSION)
    throw new Error(
      `The verification URL needs QR version ${qr.version} (at most ${MAX_QR_VERSION} allowed at level M): shorten it (${url.length} characters)`,
    );
  const { size, data } = qr.modules;
  const runs: QrSymbol['runs'] = [];
  for (let row = 0; row < size; row++) {
    let col = 0;
    while (col < size) {
      if (!data[row * size + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < size && data[row * size + col]) col++;
      runs.push({ row, col: start, length: col - start });
    }
  }
  return { version: qr.version, size, runs };
}
