import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Log } from './json-log';

export interface JsonHttpServer {
  url: string;
  port: number;
  /** Stops listening, drops open connections and aborts `closing`; safe to call twice. */
  close(): Promise<void>;
}

/**
 * The HTTP shell the stand-ins for outside systems share: one log line per request (path without the
 * query, status, time and whatever the handler noted), a coded 500 for a handler that throws, port 0
 * for a free port, and a close that also aborts the handlers' waits (`closing`).
 */
export async function serveJson<Note extends object>(options: {
  http: { port: number; host: string };
  log: Log;
  closing: AbortController;
  handle(req: IncomingMessage, res: ServerResponse, note: Note): Promise<void>;
}): Promise<JsonHttpServer> {
  const { http, log, closing, handle } = options;
  const server = createServer((req, res) => {
    const started = performance.now();
    const note = {} as Note;
    res.once('close', () =>
      log({
        level: 'info',
        msg: 'request',
        method: req.method,
        // Never the query string.
        path: (req.url ?? '').split('?')[0],
        status: res.headersSent ? res.statusCode : null,
        ms: Math.round(performance.now() - started),
        ...note,
      }),
    );
    handle(req, res, note).catch((error: unknown) => {
      if (closing.signal.aborted) {
        res.destroy();
        return;
      }
      log({ level: 'error', msg: 'request failed', error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' }, { connection: 'close' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(http.port, http.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve, reject) => {
      closing.abort();
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    }));

  const port = (server.address() as AddressInfo).port;
  return { url: `http://${urlHost(http.host)}:${port}`, port, close };
}

/** What `readBody` answers for a body past its limit. */
export const TOO_LARGE = Symbol('too large');

/**
 * The body as sent, byte for byte, or TOO_LARGE past the limit — then the rest is read and dropped, so
 * that the client gets to read the answer.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (result: Buffer | typeof TOO_LARGE | Error) => {
      if (settled) return;
      settled = true;
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    if (Number(req.headers['content-length']) > limit) {
      req.resume();
      settle(TOO_LARGE);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle(TOO_LARGE);
      else chunks.push(chunk);
    });
    req.once('end', () => settle(Buffer.concat(chunks)));
    req.once('error', (error) => settle(error));
    req.once('close', () => settle(new Error('the client closed the request before its end')));
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** The address a client uses for a listening host: a wildcard becomes loopback, IPv6 gets brackets. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
