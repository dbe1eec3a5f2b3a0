import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody, sendJson, TOO_LARGE } from './json-http';
import type { Log } from './json-log';

/** The handlers of one path, by HTTP method. */
export type Endpoint = Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>;

/** Serves `path` from `endpoints` (405 with Allow for another method); false when the path is not one of them. */
export async function serveEndpoint(
  endpoints: Readonly<Record<string, Endpoint>>,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  if (!Object.hasOwn(endpoints, path)) return false;
  const endpoint = endpoints[path];
  const method = req.method ?? 'GET';
  const serve = Object.hasOwn(endpoint, method) ? endpoint[method] : undefined;
  if (serve) await serve(req, res);
  else sendJson(res, 405, { error: 'method_not_allowed' }, { allow: Object.keys(endpoint).join(', ') });
  return true;
}

export interface ValidationDetail {
  path: string;
  message: string;
}

/** A small JSON body checked against `schema`; an empty body reads as `{}`. */
export async function readJsonBody<T>(
  req: IncomingMessage,
  schema: z.ZodType<T>,
  limit: number,
): Promise<{ ok: true; value: T } | { ok: false; details: ValidationDetail[] }> {
  const raw = await readBody(req, limit);
  if (raw === TOO_LARGE) return { ok: false, details: [{ path: '(body)', message: 'is too large' }] };
  let json: unknown;
  try {
    json = JSON.parse(raw.length === 0 ? '{}' : raw.toString('utf8'));
  } catch {
    return { ok: false, details: [{ path: '(body)', message: 'is not JSON' }] };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    details: parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message })),
  };
}

const MAX_OUTAGE_SECONDS = 24 * 60 * 60;
const outageSchema = z.strictObject({ seconds: z.number().min(0).max(MAX_OUTAGE_SECONDS) });

/**
 * A stand-in that is down: for the outage every business request has its connection reset (a TCP RST,
 * no HTTP answer) — what a client sees of a server that went away. The control endpoints share the
 * port, so refusing the connection itself is not possible.
 */
export class Outage {
  /** Wall-clock milliseconds; 0 when there is none. */
  private until = 0;

  /** `seconds` from now; 0 ends an outage. */
  begin(seconds: number): void {
    this.until = seconds === 0 ? 0 : Date.now() + seconds * 1000;
  }

  end(): void {
    this.until = 0;
  }

  get untilIso(): string | null {
    return this.until > Date.now() ? new Date(this.until).toISOString() : null;
  }

  /** During an outage: resets the request's connection and answers true. */
  refuse(req: IncomingMessage): boolean {
    if (Date.now() >= this.until) return false;
    req.socket.resetAndDestroy();
    return true;
  }
}

/**
 * The fault controls every stand-in has: `GET/PUT /control` (the faults, plus `outageUntil`),
 * `POST /control/outage {seconds}` and `POST /control/reset` (the start faults back, the outage over).
 */
export function controlEndpoints<Patch>(options: {
  outage: Outage;
  log: Log;
  limit: number;
  faults(): object;
  patch: { schema: z.ZodType<Patch>; apply(patch: Patch): void };
  reset(): void;
}): Record<string, Endpoint> {
  const { outage, log, limit } = options;
  const state = () => ({ ...options.faults(), outageUntil: outage.untilIso });
  const invalid = (res: ServerResponse, details: ValidationDetail[]) =>
    sendJson(res, 400, { error: 'invalid_control', details });
  return {
    '/control': {
      GET: async (_req, res) => sendJson(res, 200, state()),
      PUT: async (req, res) => {
        const patch = await readJsonBody(req, options.patch.schema, limit);
        if (!patch.ok) return invalid(res, patch.details);
        options.patch.apply(patch.value);
        log({ level: 'info', msg: 'faults changed', faults: options.faults() });
        sendJson(res, 200, state());
      },
    },
    '/control/outage': {
      POST: async (req, res) => {
        const body = await readJsonBody(req, outageSchema, limit);
        if (!body.ok) return invalid(res, body.details);
        outage.begin(body.value.seconds);
        log({ level: 'info', msg: 'outage', seconds: body.value.seconds });
        sendJson(res, 200, state());
      },
    },
    '/control/reset': {
      POST: async (req, res) => {
        await readBody(req, limit);
        options.reset();
        outage.end();
        log({ level: 'info', msg: 'faults reset', faults: options.faults() });
        sendJson(res, 200, state());
      },
    },
  };
}
