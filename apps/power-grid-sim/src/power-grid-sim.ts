/**
 * power-grid-sim — a stand-in for the power-supply company's business system (供电业务系统), which our
 * worker pushes EV-charger installation certificate records to. For development and tests only.
 *
 * Business endpoint
 *   POST /api/v1/installation-certificates
 *     content-type: application/json
 *     x-zm-timestamp: <unix seconds, digits only>
 *     x-zm-signature: v1=<lowercase hex HMAC-SHA256(secret, `${timestamp}.${rawBody}`)> over the raw body bytes
 *     idempotency-key: <the delivery id, a UUID; compared case-insensitively>
 *     body: { certificateNo, type: 'ev-charger-installation', typeName, issuedAt (ISO 8601 with offset),
 *             installationAddress, applicantName (masked: 张*明), applicantPhone (masked: 138****5678),
 *             documentSha256 (64 lowercase hex), documentUrl (http or https) } — no other fields.
 *   Checked in this order (the first failure answers):
 *     1. faults, before anything is read: an outage resets the connection (see below); an injected error
 *        answers 503 { error: 'unavailable' } and stores nothing; latency delays everything;
 *     2. path and method: 404 { error: 'not_found' }, 405 { error: 'method_not_allowed' } (with Allow);
 *     3. size: more than 64 KiB → 413 { error: 'payload_too_large' } (and the connection is closed);
 *     4. signature: missing, malformed or wrong → 401 { error: 'bad_signature' }; then a timestamp more than
 *        300 s from the clock → 401 { error: 'stale_timestamp' } (a sender re-signs every attempt);
 *     5. content-type other than application/json → 415 { error: 'unsupported_media_type' };
 *     6. body not UTF-8 JSON, any field invalid or unknown, or idempotency-key missing or not a UUID →
 *        400 { error: 'invalid_record', details: [{ path, message }] } (path `header:idempotency-key` for the header);
 *     7. idempotency, with no await between the check and the insert:
 *        - new key → the record is appended to the file, then 201 { receiptNo, receivedAt };
 *        - known key, same record → 200 with the ORIGINAL { receiptNo, receivedAt } and `idempotent-replay: true`;
 *        - known key, other record → 409 { error: 'idempotency_key_reused' }.
 *        "Same record" compares SHA-256 of the validated record with sorted keys, so JSON key order and
 *        white space do not matter; the timestamp and signature never do.
 *     8. slow fault: the answer (whatever it is) is held back by slowMs — after the record is stored, so a
 *        client that times out and retries gets the original receipt.
 *   receiptNo: GD + yyyymmdd (Asia/Shanghai, at receipt) + 6-digit sequence that restarts each day.
 *
 * Outage: for its duration every request other than the simulator's own endpoints is answered by resetting
 * the TCP connection (RST, no HTTP answer): the client sees ECONNRESET ("fetch failed", cause
 * "other side closed" or "ECONNRESET"), as from a system that went down; nothing is read or stored.
 *
 * Own endpoints (never faulty, no authentication: the simulator listens on 127.0.0.1 unless told otherwise)
 *   GET  /healthz          → 200 { status: 'ok' }
 *   GET  /stats            → { received, unique, duplicates, rejected, failed, refused, loaded }
 *   GET  /records          → { items: [{ ...record, receiptNo, idempotencyKey, receivedAt, bodySha256,
 *                                          signatureValid: true }] } in the order received;
 *                            `?certificateNo=` keeps that certificate's records only
 *   GET  /control          → { errorRate, latencyMs, slowRate, slowMs, outageUntil: ISO string | null }
 *   PUT  /control          { errorRate?, latencyMs?, slowRate?, slowMs? } → merged, answered as GET /control
 *   POST /control/outage   { seconds } (0 ends an outage) → as GET /control
 *   POST /control/reset    → faults back to the start configuration, outage ended; records and stats kept
 *   Bad control bodies → 400 { error: 'invalid_control', details }.
 *
 * Stats since start: received = business POSTs that reached record handling (past faults, path and method);
 * of them duplicates (200 replays), rejected (400, 401, 409, 413, 415) and the new records; unique = records
 * in the store, those loaded from the file included (loaded); failed = injected 503s; refused = connections
 * reset by an outage.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  controlEndpoints,
  Outage,
  readBody,
  sendJson,
  serveEndpoint,
  serveJson,
  TOO_LARGE,
  writeJsonLine,
  type Endpoint,
  type Log,
} from '@zhengming/sim-kit';
import { faultsPatchSchema, type Faults } from './faults';
import {
  detailsOf,
  installationRecordSchema,
  recordHash,
  type InstallationRecord,
  type ValidationDetail,
} from './installation-record';
import type { PowerGridSimConfig } from './power-grid-sim.config';
import { RecordStore, type StoredRecord } from './record-store';
import { verifyDelivery } from './signature';

export const CERTIFICATES_PATH = '/api/v1/installation-certificates';
export const MAX_BODY_BYTES = 64 * 1024;

export interface RunningPowerGridSim {
  /** Base URL, e.g. http://127.0.0.1:3002. */
  url: string;
  port: number;
  store: RecordStore;
  /** Stops listening and drops every connection, slow answers still waiting included. */
  close(): Promise<void>;
}

export interface PowerGridSimOptions {
  log?: Log;
  /** The clock of receipts and of the timestamp check, in milliseconds. */
  now?: () => number;
  /** Decides the injected faults; Math.random by default. */
  random?: () => number;
}

export interface PowerGridSimStats {
  received: number;
  unique: number;
  duplicates: number;
  rejected: number;
  failed: number;
  refused: number;
  loaded: number;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  counts: 'created' | 'duplicate' | 'rejected';
  receiptNo?: string;
}

const idempotencyKeySchema = z.uuid();

/** Starts the simulator; with port 0 it listens on a free port, given back in `port` and `url`. */
export async function startPowerGridSim(
  config: PowerGridSimConfig,
  options: PowerGridSimOptions = {},
): Promise<RunningPowerGridSim> {
  const log = options.log ?? writeJsonLine;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const store = RecordStore.open(config.dataFile);
  const closing = new AbortController();
  let faults: Faults = { ...config.faults };
  const outage = new Outage();
  const counters = { received: 0, duplicates: 0, rejected: 0, failed: 0, refused: 0 };

  const stats = (): PowerGridSimStats => ({
    received: counters.received,
    unique: store.size,
    duplicates: counters.duplicates,
    rejected: counters.rejected,
    failed: counters.failed,
    refused: counters.refused,
    loaded: store.loaded,
  });

  /** The company system proper: everything after the faults. */
  const receive = async (req: IncomingMessage): Promise<Answer> => {
    const rejected = (status: number, body: unknown, headers?: Record<string, string>): Answer => ({
      status,
      body,
      headers,
      counts: 'rejected',
    });
    const raw = await readBody(req, MAX_BODY_BYTES);
    if (raw === TOO_LARGE) return rejected(413, { error: 'payload_too_large' }, { connection: 'close' });
    const verdict = verifyDelivery(
      config.hmacSecret,
      header(req, 'x-zm-timestamp'),
      header(req, 'x-zm-signature'),
      raw,
      { nowMs: now() },
    );
    if (!verdict.ok) return rejected(401, { error: verdict.error });
    if (!isJson(header(req, 'content-type'))) return rejected(415, { error: 'unsupported_media_type' });

    const details: ValidationDetail[] = [];
    let record: InstallationRecord | undefined;
    const json = parseJson(raw);
    if (!json.ok) {
      details.push({ path: '(body)', message: json.message });
    } else {
      const parsed = installationRecordSchema.safeParse(json.value);
      if (parsed.success) record = parsed.data;
      else details.push(...detailsOf(parsed.error));
    }
    const key = header(req, 'idempotency-key');
    if (key === undefined) details.push({ path: 'header:idempotency-key', message: 'is required' });
    else if (!idempotencyKeySchema.safeParse(key).success) {
      details.push({ path: 'header:idempotency-key', message: 'must be a UUID' });
    }
    if (details.length > 0 || record === undefined || key === undefined) {
      return rejected(400, { error: 'invalid_record', details });
    }

    // From here to the return nothing awaits: of concurrent requests with one key, exactly one creates.
    const idempotencyKey = key.toLowerCase();
    const bodySha256 = recordHash(record);
    const existing = store.get(idempotencyKey);
    if (existing) {
      if (existing.bodySha256 !== bodySha256) return rejected(409, { error: 'idempotency_key_reused' });
      return {
        status: 200,
        body: receipt(existing),
        headers: { 'idempotent-replay': 'true' },
        counts: 'duplicate',
        receiptNo: existing.receiptNo,
      };
    }
    const stored = store.create({ idempotencyKey, bodySha256, record }, now());
    return { status: 201, body: receipt(stored), counts: 'created', receiptNo: stored.receiptNo };
  };

  const business = async (req: IncomingMessage, res: ServerResponse, path: string, note: Note): Promise<void> => {
    if (outage.refuse(req)) {
      counters.refused += 1;
      note.outcome = 'refused';
      return;
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs, undefined, { signal: closing.signal });
    if (faults.errorRate > 0 && random() < faults.errorRate) {
      counters.failed += 1;
      note.outcome = 'failed';
      req.resume();
      return sendJson(res, 503, { error: 'unavailable' });
    }
    if (path !== CERTIFICATES_PATH) return sendJson(res, 404, { error: 'not_found' });
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' });

    counters.received += 1;
    const answer = await receive(req);
    if (answer.counts === 'duplicate') counters.duplicates += 1;
    if (answer.counts === 'rejected') counters.rejected += 1;
    note.outcome = answer.counts;
    note.receiptNo = answer.receiptNo;
    if (faults.slowRate > 0 && random() < faults.slowRate) {
      note.slow = true;
      await sleep(faults.slowMs, undefined, { signal: closing.signal });
    }
    sendJson(res, answer.status, answer.body, answer.headers);
  };

  /** The simulator's own endpoints, never faulty. */
  const endpoints: Record<string, Endpoint> = {
    '/healthz': { GET: async (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    '/stats': { GET: async (_req, res) => sendJson(res, 200, stats()) },
    '/records': {
      GET: async (req, res) => {
        const certificateNo = new URL(req.url ?? '/', 'http://localhost').searchParams.get('certificateNo');
        const items = store.list(certificateNo === null ? {} : { certificateNo }).map(present);
        sendJson(res, 200, { items });
      },
    },
    ...controlEndpoints({
      outage,
      log,
      limit: MAX_BODY_BYTES,
      faults: () => faults,
      patch: { schema: faultsPatchSchema, apply: (patch) => (faults = { ...faults, ...stripUndefined(patch) }) },
      reset: () => (faults = { ...config.faults }),
    }),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, note: Note): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!(await serveEndpoint(endpoints, path, req, res))) await business(req, res, path, note);
  };

  const { url, port, close } = await serveJson<Note>({ http: config.http, log, closing, handle });
  return { url, port, store, close };
}

/** What the request log line adds about the business outcome. */
interface Note {
  outcome?: string;
  receiptNo?: string;
  slow?: boolean;
}

function receipt(stored: StoredRecord): { receiptNo: string; receivedAt: string } {
  return { receiptNo: stored.receiptNo, receivedAt: stored.receivedAt };
}

function present(stored: StoredRecord) {
  return {
    ...stored.record,
    receiptNo: stored.receiptNo,
    idempotencyKey: stored.idempotencyKey,
    receivedAt: stored.receivedAt,
    bodySha256: stored.bodySha256,
    // Only deliveries whose signature checked out are ever stored.
    signatureValid: true as const,
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0].trim().toLowerCase() === 'application/json';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false; message: string } {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return { ok: false, message: 'is not UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: 'is not JSON' };
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
