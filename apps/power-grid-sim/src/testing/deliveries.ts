import { createHmac, randomUUID } from 'node:crypto';
import type { InstallationRecord } from '../installation-record';

/**
 * A record in the shape the API's worker sends (libs/power-grid, `PowerGridRecord`): an EV-charger
 * installation certificate, the applicant's name and phone masked, the download link by number and code.
 */
export const VALID_RECORD: InstallationRecord = {
  certificateNo: '440118001001-EV-2026-000123-K7',
  type: 'ev-charger-installation',
  typeName: '居民充电桩报装证明',
  issuedAt: '2026-11-26T02:00:00.000Z',
  installationAddress: '广州市增城区永宁街道凤凰城凤馨苑地下停车场 B2-118 车位',
  applicantName: '张*明',
  applicantPhone: '138****5678',
  documentSha256: 'a'.repeat(64),
  documentUrl: 'https://zm.example.test/api/verifications/440118001001EV2026000123K7/document.pdf?code=7KQ2M9XD',
};

export interface Delivery {
  /** The delivery id; a fresh UUID by default. */
  key?: string | null;
  /** The JSON body; VALID_RECORD by default. */
  body?: unknown;
  /** Bytes to send instead of the JSON of `body` (they are what gets signed unless `signedBody` is given). */
  rawBody?: string | Buffer;
  /** Sign these bytes but send the others: a tampered body. */
  signedBody?: string | Buffer;
  timestamp?: string;
  secret?: string;
  /** Replaces the computed signature; null leaves the header out. */
  signature?: string | null;
  contentType?: string;
  signal?: AbortSignal;
}

/**
 * Sends one delivery as the protocol says, signing it here with node:crypto rather than with the
 * simulator's own signer, so that the two cannot drift apart unnoticed.
 */
export async function deliver(
  baseUrl: string,
  secret: string,
  delivery: Delivery = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const raw = delivery.rawBody ?? JSON.stringify(delivery.body ?? VALID_RECORD);
  const timestamp = delivery.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signature =
    delivery.signature === undefined
      ? `v1=${createHmac('sha256', delivery.secret ?? secret)
          .update(`${timestamp}.`)
          .update(delivery.signedBody ?? raw)
          .digest('hex')}`
      : delivery.signature;
  const key = delivery.key === undefined ? randomUUID() : delivery.key;
  const headers: Record<string, string> = {
    'content-type': delivery.contentType ?? 'application/json',
    'x-zm-timestamp': timestamp,
  };
  if (signature !== null) headers['x-zm-signature'] = signature;
  if (key !== null) headers['idempotency-key'] = key;
  const response = await fetch(`${baseUrl}/api/v1/installation-certificates`, {
    method: 'POST',
    headers,
    body: raw,
    signal: delivery.signal,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : JSON.parse(text) };
}
