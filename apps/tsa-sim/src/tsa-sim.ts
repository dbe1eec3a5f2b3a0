/**
 * tsa-sim — a time-stamping authority (RFC 3161) for development and tests: a stand-in for the
 * trusted time-stamping service certificates will be stamped by. It is a real TSA over HTTP (RFC 3161
 * §3.4) with the key and certificate it is given; its clock is the machine's.
 *
 * Time-stamping endpoint: POST / or POST /tsa
 *   content-type: application/timestamp-query, body a DER TimeStampReq (at most 64 KiB).
 *   Checked in this order (the first failure answers):
 *     1. faults, before anything is read: an outage resets the connection (see below); latency delays
 *        everything that follows;
 *     2. method: 405 { error: 'method_not_allowed' } (with Allow: POST);
 *     3. content-type other than application/timestamp-query → 415 { error: 'unsupported_media_type' };
 *     4. size: more than 64 KiB → 413 { error: 'payload_too_large' };
 *     5. a body that is not DER → 400 { error: 'not_der' };
 *     6. a DER body that is not a TimeStampReq this TSA takes → HTTP 200, application/timestamp-reply,
 *        a TimeStampResp with status rejection (2), a PKIFreeText and one PKIFailureInfo bit: badAlg (0) for
 *        a hash other than SHA-256/384/512, badRequest (2) for another version, badDataFormat (5) for a
 *        malformed request or a digest of the wrong length, unacceptedPolicy (15) for a reqPolicy other
 *        than the configured one, unacceptedExtension (16) for any extension;
 *     7. otherwise HTTP 200, a TimeStampResp with status granted (0) and a TimeStampToken: a CMS
 *        SignedData over the TSTInfo { version 1, the configured policy, the messageImprint as sent,
 *        serialNumber, genTime (UTC, milliseconds), accuracy 1 s, the nonce as sent, tsa: the TSA
 *        certificate's subject }, signed attributes contentType, messageDigest and signingCertificateV2;
 *        the TSA certificate and chain are included when the request has certReq TRUE.
 *   Serial numbers start at a random 64-bit value and go up by one per token.
 *
 * Outage: for its duration every time-stamping request is answered by resetting the TCP connection
 * (RST, no HTTP answer), as from a TSA that went down; nothing is read.
 *
 * Own endpoints (never faulty, no authentication: the simulator listens on 127.0.0.1 unless told otherwise)
 *   GET  /healthz          → 200 { status: 'ok' }
 *   GET  /stats            → { issued, rejected, refused }: tokens issued; queries answered without a
 *                            token (status rejection, or HTTP 400, 413 or 415); connections reset by an outage
 *   GET  /control          → { latencyMs, outageUntil: ISO string | null }
 *   PUT  /control          { latencyMs? } → merged, answered as GET /control
 *   POST /control/outage   { seconds } (0 ends an outage) → as GET /control
 *   POST /control/reset    → no latency, outage ended; stats kept
 *   Bad control bodies → 400 { error: 'invalid_control', details }.
 */
import { randomBytes } from 'node:crypto';
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
import { PKI_FAILURE } from '../../../libs/signing/src/timestamp/asn1';
import { readTimeStampQuery } from './time-stamp-query';
import { grantedResponse, rejectionResponse } from './time-stamp-token';
import { loadTsaIdentity, type TsaIdentity } from './tsa-identity';
import type { TsaSimConfig } from './tsa-sim.config';

export const TSA_PATHS = ['/', '/tsa'];
export const MAX_QUERY_BYTES = 64 * 1024;
const MAX_LATENCY_MS = 10 * 60 * 1000;
const QUERY_TYPE = 'application/timestamp-query';
const REPLY_TYPE = 'application/timestamp-reply';

export interface RunningTsaSim {
  /** Base URL, e.g. http://127.0.0.1:3003; the TSA answers at it and at `${url}/tsa`. */
  url: string;
  port: number;
  identity: TsaIdentity;
  /** Stops listening and drops every connection, delayed answers still waiting included. */
  close(): Promise<void>;
}

export interface TsaSimOptions {
  log?: Log;
  /** The TSA clock (genTime), in milliseconds. */
  now?: () => number;
}

export interface TsaSimStats {
  issued: number;
  rejected: number;
  refused: number;
}

const controlSchema = z.strictObject({ latencyMs: z.number().int().min(0).max(MAX_LATENCY_MS).optional() });

/**
 * Starts the simulator; with port 0 it listens on a free port, given back in `port` and `url`. Throws
 * `TsaKeyError` when the key or certificate files are unfit.
 */
export async function startTsaSim(config: TsaSimConfig, options: TsaSimOptions = {}): Promise<RunningTsaSim> {
  const log = options.log ?? writeJsonLine;
  const now = options.now ?? Date.now;
  const identity = loadTsaIdentity(config.files);
  const closing = new AbortController();
  let latencyMs = 0;
  const outage = new Outage();
  let nextSerial = BigInt(`0x${randomBytes(8).toString('hex')}`);
  const stats: TsaSimStats = { issued: 0, rejected: 0, refused: 0 };

  const reply = (res: ServerResponse, der: Buffer) => {
    res.writeHead(200, {
      'content-type': REPLY_TYPE,
      'content-length': String(der.length),
      'cache-control': 'no-store',
    });
    res.end(der);
  };

  const timeStamp = async (req: IncomingMessage, res: ServerResponse, note: Note): Promise<void> => {
    if (outage.refuse(req)) {
      stats.refused += 1;
      note.outcome = 'refused';
      return;
    }
    if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: closing.signal });
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' });
    const refuse = (status: number, error: string, headers?: Record<string, string>) => {
      stats.rejected += 1;
      note.outcome = error;
      sendJson(res, status, { error }, headers);
    };
    if (mediaType(req) !== QUERY_TYPE) {
      req.resume();
      return refuse(415, 'unsupported_media_type');
    }
    const body = await readBody(req, MAX_QUERY_BYTES);
    if (body === TOO_LARGE) return refuse(413, 'payload_too_large', { connection: 'close' });

    const verdict = readTimeStampQuery(body, config.policy);
    if (verdict.kind === 'not_der') return refuse(400, 'not_der');
    if (verdict.kind === 'rejection') {
      stats.rejected += 1;
      note.outcome = 'rejection';
      note.failInfo = verdict.failInfo;
      return reply(res, rejectionResponse(verdict.failInfo, verdict.text));
    }
    // From here to the signature nothing awaits: each token takes its own serial number.
    const serialNumber = nextSerial;
    nextSerial += 1n;
    let der: Buffer;
    try {
      der = grantedResponse(identity, {
        query: verdict.query,
        policy: config.policy,
        serialNumber,
        genTime: new Date(now()),
      });
    } catch (error) {
      log({ level: 'error', msg: 'signing failed', error: error instanceof Error ? error.message : String(error) });
      stats.rejected += 1;
      note.outcome = 'rejection';
      note.failInfo = PKI_FAILURE.systemFailure;
      return reply(res, rejectionResponse(PKI_FAILURE.systemFailure, 'the time-stamp could not be signed'));
    }
    stats.issued += 1;
    note.outcome = 'granted';
    note.serial = serialNumber.toString(16);
    note.certReq = verdict.query.certReq;
    reply(res, der);
  };

  /** The simulator's own endpoints, never faulty. */
  const endpoints: Record<string, Endpoint> = {
    '/healthz': { GET: async (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    '/stats': { GET: async (_req, res) => sendJson(res, 200, { ...stats }) },
    ...controlEndpoints({
      outage,
      log,
      limit: MAX_QUERY_BYTES,
      faults: () => ({ latencyMs }),
      patch: { schema: controlSchema, apply: (patch) => (latencyMs = patch.latencyMs ?? latencyMs) },
      reset: () => (latencyMs = 0),
    }),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, note: Note): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (TSA_PATHS.includes(path)) return timeStamp(req, res, note);
    if (await serveEndpoint(endpoints, path, req, res)) return;
    req.resume();
    sendJson(res, 404, { error: 'not_found' });
  };

  const { url, port, close } = await serveJson<Note>({ http: config.http, log, closing, handle });
  return { url, port, identity, close };
}

/** What the request log line adds about the outcome. Never the imprint or the nonce. */
interface Note {
  outcome?: string;
  serial?: string;
  failInfo?: number;
  certReq?: boolean;
}

function mediaType(req: IncomingMessage): string | undefined {
  return req.headers['content-type']?.split(';')[0].trim().toLowerCase();
}
