import { createHash } from 'node:crypto';
import { children, parseDer } from '../cms/der';
import { PKI_FAILURE, TSP_OID } from './asn1';
import { syntheticResponse, syntheticToken, syntheticTstInfo, type SyntheticTstInfo } from './testing/synthetic-token';
import { TimestampClient, TimestampError, type TimestampErrorCode } from './timestamp-client';

const DATA = Buffer.from('电子证明 PDF bytes');
const REPLY = { 'content-type': 'application/timestamp-reply' };

interface Sent {
  url: string;
  init: RequestInit;
  digest: Buffer;
  nonce: Buffer;
}

/** A fetch that records the query and answers with `answer(query)`. */
function fakeTsa(answer: (sent: Sent) => Response | Promise<Response>): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fake = async (url: string | URL | Request, init?: RequestInit) => {
    const [, imprint, nonce] = children(parseDer(Buffer.from(init!.body as Uint8Array)));
    const query: Sent = {
      url: String(url),
      init: init!,
      digest: Buffer.from(children(imprint)[1].value as string, 'latin1'),
      nonce: Buffer.from(nonce.value as string, 'latin1'),
    };
    sent.push(query);
    return answer(query);
  };
  return { fetch: fake as typeof fetch, sent };
}

/** A granted reply with a (synthetic) token echoing the query, changed by `fields`. */
const granted = (sent: Sent, fields: SyntheticTstInfo = {}) =>
  new Response(
    syntheticResponse(0, {
      token: syntheticToken(syntheticTstInfo({ digest: sent.digest, nonce: sent.nonce, ...fields })),
    }),
    { headers: REPLY },
  );

const clientWith = (fetchImpl: typeof fetch, timeoutMs = 1_000) =>
  new TimestampClient({ url: 'http://tsa.example.test/tsa', timeoutMs, fetch: fetchImpl });

async function failure(client: TimestampClient): Promise<TimestampError> {
  try {
    await client.stamp(DATA);
  } catch (error) {
    if (error instanceof TimestampError) return error;
    throw error;
  }
  throw new Error('expected a TimestampError');
}

describe(TimestampClient.name, () => {
  it('POSTs a timestamp-query over SHA-256 of the data with a fresh nonce, and returns token and genTime', async () => {
    const tsa = fakeTsa((sent) => granted(sent));
    const client = clientWith(tsa.fetch);
    const first = await client.stamp(DATA);
    await client.stamp(DATA);

    const [sent, again] = tsa.sent;
    expect(sent.url).toBe('http://tsa.example.test/tsa');
    expect(sent.init.method).toBe('POST');
    expect(sent.init.headers).toEqual({
      'content-type': 'application/timestamp-query',
      accept: 'application/timestamp-reply',
    });
    expect(sent.digest).toEqual(createHash('sha256').update(DATA).digest());
    expect(sent.nonce.equals(again.nonce)).toBe(false);
    expect(first.genTime).toEqual(new Date('2026-11-26T02:00:00.120Z'));
    expect(children(parseDer(first.token)).length).toBe(2);
  });

  it('takes grantedWithMods (1) as granted, and a content type with parameters', async () => {
    const tsa = fakeTsa(
      (sent) =>
        new Response(
          syntheticResponse(1, {
            token: syntheticToken(syntheticTstInfo({ digest: sent.digest, nonce: sent.nonce })),
          }),
          { headers: { 'content-type': 'Application/Timestamp-Reply; charset=binary' } },
        ),
    );
    await expect(clientWith(tsa.fetch).stamp(DATA)).resolves.toHaveProperty('token');
  });

  it.each<[string, (sent: Sent) => Response, TimestampErrorCode, string | RegExp]>([
    [
      'a rejection',
      () =>
        new Response(syntheticResponse(2, { texts: ['policy'], failBits: [PKI_FAILURE.unacceptedPolicy] }), {
          headers: REPLY,
        }),
      'rejected',
      'The TSA did not grant a time-stamp: status 2, failInfo 15 (policy)',
    ],
    ['waiting', () => new Response(syntheticResponse(3), { headers: REPLY }), 'rejected', /status 3$/],
    ['HTTP 400', () => new Response('bad', { status: 400 }), 'rejected', 'The TSA refused the request with HTTP 400'],
    ['HTTP 503', () => new Response('down', { status: 503 }), 'unreachable', 'The TSA answered HTTP 503'],
    ['HTTP 204', () => new Response(null, { status: 204 }), 'invalid_response', 'The TSA answered HTTP 204'],
    [
      'another content type',
      () => new Response('<html>', { headers: { 'content-type': 'text/html' } }),
      'invalid_response',
      /answered text\/html/,
    ],
    ['garbage', () => new Response('garbage', { headers: REPLY }), 'invalid_response', /not a valid TimeStampResp/],
    [
      'granted without a token',
      () => new Response(syntheticResponse(0), { headers: REPLY }),
      'invalid_response',
      'The TSA granted a time-stamp without a token',
    ],
    [
      'a token that is no TimeStampToken',
      () => new Response(syntheticResponse(0, { token: syntheticResponse(0) }), { headers: REPLY }),
      'invalid_response',
      /not a valid TimeStampResp/,
    ],
    [
      'too large an answer',
      () => new Response(Buffer.alloc(1024 * 1024 + 1), { headers: REPLY }),
      'invalid_response',
      /larger than/,
    ],
    [
      'a token for other data',
      (sent) => granted(sent, { digest: Buffer.alloc(32, 1) }),
      'mismatch',
      'The token time-stamps other data than was sent',
    ],
    [
      'a token with the same digest under another hash',
      (sent) => granted(sent, { imprintAlgorithm: TSP_OID.sha512 }),
      'mismatch',
      'The token time-stamps other data than was sent',
    ],
    [
      'a token for another nonce',
      (sent) => granted(sent, { nonce: Buffer.concat([sent.nonce, Buffer.of(0)]) }),
      'mismatch',
      'The token does not carry the nonce of the request',
    ],
    [
      'a token without the nonce',
      (sent) => granted(sent, { nonce: undefined }),
      'mismatch',
      'The token does not carry the nonce of the request',
    ],
  ])('answers %s with %s', async (_name, answer, code, message) => {
    const error = await failure(clientWith(fakeTsa(answer).fetch));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('gives the PKIStatus details of a rejection', async () => {
    const reject = () =>
      new Response(syntheticResponse(2, { texts: ['no'], failBits: [PKI_FAILURE.badAlg] }), { headers: REPLY });
    expect((await failure(clientWith(fakeTsa(reject).fetch))).details).toEqual({
      status: 2,
      statusText: 'no',
      failInfo: 0,
    });
  });

  it('unreachable when fetch fails, with the cause', async () => {
    const refused = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    }) as typeof fetch;
    const error = await failure(clientWith(refused));
    expect(error.code).toBe('unreachable');
    expect(error.message).toBe('The TSA did not answer: fetch failed: connect ECONNREFUSED 127.0.0.1:9');
  });

  it('timeout when no answer comes in time, the request aborted', async () => {
    let signal: AbortSignal | undefined;
    const hanging = ((_url: string, init: RequestInit) => {
      signal = init.signal ?? undefined;
      return new Promise((_resolve, reject) => signal!.addEventListener('abort', () => reject(signal!.reason)));
    }) as unknown as typeof fetch;
    const started = Date.now();
    const error = await failure(clientWith(hanging, 50));
    expect(error.code).toBe('timeout');
    expect(error.message).toBe('The TSA did not answer within 50 ms');
    expect(signal?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('timeout when the body stops coming', async () => {
    // Headers at once, then a body that never ends; aborting errors it, as with a real fetch.
    const stalling = ((_url: string, init: RequestInit) =>
      Promise.resolve(
        new Response(
          new ReadableStream({
            start: (controller) => init.signal!.addEventListener('abort', () => controller.error(init.signal!.reason)),
          }),
          { headers: REPLY },
        ),
      )) as unknown as typeof fetch;
    expect((await failure(clientWith(stalling, 50))).code).toBe('timeout');
  });

  it('refuses a URL that is not http(s) and a timeout that is not positive', () => {
    expect(() => new TimestampClient({ url: 'ftp://tsa.example.test', timeoutMs: 1000 })).toThrow('http or https');
    expect(() => new TimestampClient({ url: 'http://tsa.example.test', timeoutMs: 0 })).toThrow('positive integer');
  });
});
