import { createHash, randomBytes } from 'node:crypto';
import { minimalUnsigned, TimestampFormatError, TSP_OID } from './asn1';
import { buildTimeStampReq } from './timestamp-request';
import {
  GRANTED_STATUSES,
  parseTimeStampResp,
  readTimeStampToken,
  type TimeStampTokenInfo,
} from './timestamp-response';

/**
 * - `unreachable`: no answer (connection refused or reset, DNS, TLS), or HTTP 5xx: worth retrying later;
 * - `timeout`: no complete answer within `timeoutMs`: worth retrying later;
 * - `rejected`: the TSA refused the request (PKIStatus other than granted, or HTTP 4xx);
 * - `invalid_response`: an answer that is not a readable TimeStampResp with a token;
 * - `mismatch`: a token, but for other data or another request (message imprint or nonce differ).
 */
export type TimestampErrorCode = 'unreachable' | 'timeout' | 'rejected' | 'invalid_response' | 'mismatch';

export interface TimestampErrorDetails {
  httpStatus?: number;
  /** PKIStatus of a TimeStampResp that was not granted. */
  status?: number;
  statusText?: string;
  /** The lowest PKIFailureInfo bit set (0 badAlg, 2 badRequest, 5 badDataFormat, …). */
  failInfo?: number;
}

export class TimestampError extends Error {
  constructor(
    readonly code: TimestampErrorCode,
    message: string,
    readonly details: TimestampErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TimestampError';
  }
}

export interface TimestampClientOptions {
  /** The TSA's RFC 3161 HTTP endpoint. */
  url: string;
  /** For the whole exchange: connecting, sending, and reading the complete answer. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

export interface StampResult {
  /** The TimeStampToken (a DER ContentInfo holding a SignedData), as the TSA sent it. */
  token: Buffer;
  genTime: Date;
}

/** Far more than a token with a few certificates; a bigger answer is not a TSA's. */
export const MAX_REPLY_BYTES = 1024 * 1024;

const QUERY_TYPE = 'application/timestamp-query';
const REPLY_TYPE = 'application/timestamp-reply';

/**
 * An RFC 3161 client over HTTP (RFC 3161 §3.4): asks for a token over SHA-256 of the data with a
 * random 64-bit nonce and certReq, and checks that the answer is granted and is for this data and this
 * request. It does not verify the token's signature or certificate: `verifyTimeStampToken` does, with
 * the trust root the caller has.
 */
export class TimestampClient {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: TimestampClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`A TSA URL is http or https, got ${url.protocol}`);
    }
    if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new Error(`timeoutMs must be a positive integer, got ${options.timeoutMs}`);
    }
    this.url = url.toString();
    this.timeoutMs = options.timeoutMs;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async stamp(data: Buffer): Promise<StampResult> {
    const digest = createHash('sha256').update(data).digest();
    const nonce = randomBytes(8);
    const request = buildTimeStampReq({ digest, nonce, certReq: true });
    const reply = await this.exchange(request);
    return check(reply, digest, nonce);
  }

  /** POSTs the query; the reply body, or a TimestampError. */
  private async exchange(request: Buffer): Promise<Buffer> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no answer within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    try {
      let response: Response;
      try {
        response = await this.fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': QUERY_TYPE, accept: REPLY_TYPE },
          body: request,
          signal: controller.signal,
          redirect: 'error',
        });
      } catch (error) {
        throw new TimestampError(
          'unreachable',
          `The TSA did not answer: ${describeError(error)}`,
          {},
          { cause: error },
        );
      }
      const httpStatus = response.status;
      const refuse = (code: TimestampErrorCode, message: string): never => {
        void response.body?.cancel().catch(() => undefined);
        throw new TimestampError(code, message, { httpStatus });
      };
      if (httpStatus >= 500) refuse('unreachable', `The TSA answered HTTP ${httpStatus}`);
      if (httpStatus >= 400) refuse('rejected', `The TSA refused the request with HTTP ${httpStatus}`);
      if (httpStatus !== 200) refuse('invalid_response', `The TSA answered HTTP ${httpStatus}`);
      const contentType = response.headers.get('content-type')?.split(';')[0].trim().toLowerCase();
      if (contentType !== REPLY_TYPE) {
        refuse('invalid_response', `The TSA answered ${contentType ?? 'without a content type'}, not ${REPLY_TYPE}`);
      }
      if (Number(response.headers.get('content-length')) > MAX_REPLY_BYTES) {
        refuse('invalid_response', `The TSA's answer is larger than ${MAX_REPLY_BYTES} bytes`);
      }
      let body: Buffer;
      try {
        body = Buffer.from(await response.arrayBuffer());
      } catch (error) {
        throw new TimestampError(
          'unreachable',
          `The TSA's answer broke off: ${describeError(error)}`,
          { httpStatus },
          {
            cause: error,
          },
        );
      }
      if (body.length > MAX_REPLY_BYTES) {
        throw new TimestampError('invalid_response', `The TSA's answer is larger than ${MAX_REPLY_BYTES} bytes`, {
          httpStatus,
        });
      }
      return body;
    } catch (error) {
      // Whatever failed once the clock ran out failed because of it.
      if (timedOut) {
        throw new TimestampError('timeout', `The TSA did not answer within ${this.timeoutMs} ms`, {}, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

function check(reply: Buffer, digest: Buffer, nonce: Buffer): StampResult {
  let response: ReturnType<typeof parseTimeStampResp>;
  try {
    response = parseTimeStampResp(reply);
  } catch (error) {
    throw invalid(error);
  }
  if (!GRANTED_STATUSES.includes(response.status)) {
    const { status, statusText, failInfo } = response;
    throw new TimestampError(
      'rejected',
      `The TSA did not grant a time-stamp: status ${status}${failInfo === undefined ? '' : `, failInfo ${failInfo}`}${
        statusText ? ` (${statusText})` : ''
      }`,
      { status, statusText, failInfo },
    );
  }
  if (!response.token) throw new TimestampError('invalid_response', 'The TSA granted a time-stamp without a token');
  let info: TimeStampTokenInfo;
  try {
    info = readTimeStampToken(response.token);
  } catch (error) {
    throw invalid(error);
  }
  if (info.messageImprint.algorithm !== TSP_OID.sha256 || !info.messageImprint.digest.equals(digest)) {
    throw new TimestampError('mismatch', 'The token time-stamps other data than was sent');
  }
  if (!info.nonce?.equals(minimalUnsigned(nonce))) {
    throw new TimestampError('mismatch', 'The token does not carry the nonce of the request');
  }
  return { token: response.token, genTime: info.genTime };
}

function invalid(error: unknown): TimestampError {
  if (!(error instanceof TimestampFormatError)) throw error;
  return new TimestampError(
    'invalid_response',
    `The TSA's answer is not a valid TimeStampResp: ${error.message}`,
    {},
    {
      cause: error,
    },
  );
}

/** "fetch failed: other side closed". Duck-typed: undici's errors may come from another realm. */
function describeError(error: unknown): string {
  const cause = isObject(error) ? error.cause : undefined;
  return cause === undefined ? messageOf(error) : `${messageOf(error)}: ${messageOf(cause)}`;
}

function messageOf(error: unknown): string {
  return isObject(error) && typeof error.message === 'string' ? error.message : String(error);
}

function isObject(value: unknown): value is { message?: unknown; cause?: unknown } {
  return typeof value === 'object' && value !== null;
}
