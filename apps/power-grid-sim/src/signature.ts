import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The delivery signature, as both sides compute it on their own (the API has its own signer):
 *
 *   x-zm-timestamp: <unix seconds>
 *   x-zm-signature: v1=<lowercase hex HMAC-SHA256(secret, `${timestamp}.${rawBody}`)>
 *
 * over the body bytes exactly as sent. The timestamp bounds replays: it must be within the tolerance of the
 * receiver's clock, so a sender re-signs every attempt, retries included.
 */
export const SIGNATURE_VERSION = 'v1';
export const DEFAULT_TOLERANCE_SECONDS = 300;

const TIMESTAMP = /^\d{1,15}$/;
const SIGNATURE = /^v1=([0-9a-f]{64})$/;

/** The value of the x-zm-signature header for this timestamp and body. */
export function signDelivery(secret: string, timestamp: string | number, rawBody: string | Buffer): string {
  return `${SIGNATURE_VERSION}=${digest(secret, String(timestamp), rawBody).toString('hex')}`;
}

export type DeliveryVerdict =
  { ok: true; timestamp: number } | { ok: false; error: 'bad_signature' | 'stale_timestamp' };

export interface VerifyOptions {
  /** The receiver's clock in milliseconds; Date.now() by default. */
  nowMs?: number;
  toleranceSeconds?: number;
}

/**
 * Checks the two headers against the raw body. The signature is checked first, so `stale_timestamp` only
 * ever tells a holder of the secret that its clock, or its retry, is late; a missing or malformed header is
 * `bad_signature`.
 */
export function verifyDelivery(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  rawBody: string | Buffer,
  options: VerifyOptions = {},
): DeliveryVerdict {
  if (timestamp === undefined || signature === undefined || !TIMESTAMP.test(timestamp)) {
    return { ok: false, error: 'bad_signature' };
  }
  const given = SIGNATURE.exec(signature);
  if (!given) return { ok: false, error: 'bad_signature' };
  const expected = digest(secret, timestamp, rawBody);
  if (!timingSafeEqual(Buffer.from(given[1], 'hex'), expected)) return { ok: false, error: 'bad_signature' };
  const seconds = Number(timestamp);
  const nowSeconds = (options.nowMs ?? Date.now()) / 1000;
  if (Math.abs(nowSeconds - seconds) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, error: 'stale_timestamp' };
  }
  return { ok: true, timestamp: seconds };
}

function digest(secret: string, timestamp: string, rawBody: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}
