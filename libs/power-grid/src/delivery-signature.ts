import { createHmac } from 'node:crypto';

/**
 * The request signature both sides compute: HMAC-SHA256 under the shared secret over the timestamp,
 * a dot and the exact body bytes, sent as `v1=<hex>` beside the timestamp. The timestamp bounds a
 * replay; the idempotency key makes a repeat harmless.
 */
export function deliverySignature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
