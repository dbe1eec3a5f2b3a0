import { signDelivery, verifyDelivery } from './signature';

const SECRET = 'test-secret-0123456789';
const TIMESTAMP = '1764139200';
const BODY = '{"certificateNo":"X-1"}';
const NOW_MS = Number(TIMESTAMP) * 1000;

describe(signDelivery.name, () => {
  it('is v1= and the lowercase hex HMAC-SHA256 of "<timestamp>.<body>" (computed independently with openssl)', () => {
    expect(signDelivery(SECRET, TIMESTAMP, BODY)).toBe(
      'v1=9057cc0783ded7382ba90821c41059540695ba933c0eb9287b670a58f69c4408',
    );
  });

  it('signs bytes: a Buffer and the same text give the same signature, a number timestamp the same as its digits', () => {
    expect(signDelivery(SECRET, Number(TIMESTAMP), Buffer.from(BODY))).toBe(signDelivery(SECRET, TIMESTAMP, BODY));
  });
});

describe(verifyDelivery.name, () => {
  const signature = signDelivery(SECRET, TIMESTAMP, BODY);

  it('accepts the signature of the body as sent', () => {
    expect(verifyDelivery(SECRET, TIMESTAMP, signature, Buffer.from(BODY), { nowMs: NOW_MS })).toEqual({
      ok: true,
      timestamp: Number(TIMESTAMP),
    });
  });

  it.each([
    ['another body', TIMESTAMP, signature, '{"certificateNo":"X-2"}'],
    ['the same JSON spaced differently', TIMESTAMP, signature, '{ "certificateNo": "X-1" }'],
    ['another timestamp', String(Number(TIMESTAMP) + 1), signature, BODY],
    ['no signature', TIMESTAMP, undefined, BODY],
    ['no timestamp', undefined, signature, BODY],
    ['a timestamp that is not digits', '1764139200.5', signature, BODY],
    ['upper-case hex', TIMESTAMP, signature.toUpperCase().replace('V1=', 'v1='), BODY],
    ['another version', TIMESTAMP, signature.replace('v1=', 'v2='), BODY],
    ['a short signature', TIMESTAMP, signature.slice(0, -2), BODY],
  ])('refuses %s as bad_signature', (_case, timestamp, given, body) => {
    expect(verifyDelivery(SECRET, timestamp, given, body, { nowMs: NOW_MS })).toEqual({
      ok: false,
      error: 'bad_signature',
    });
  });

  it('refuses another secret', () => {
    expect(verifyDelivery('another-secret-0123456789', TIMESTAMP, signature, BODY, { nowMs: NOW_MS })).toEqual({
      ok: false,
      error: 'bad_signature',
    });
  });

  it('takes timestamps up to 300 s either side of the clock and calls the rest stale', () => {
    const at = (offsetSeconds: number) =>
      verifyDelivery(SECRET, TIMESTAMP, signature, BODY, { nowMs: NOW_MS + offsetSeconds * 1000 });
    expect(at(300).ok).toBe(true);
    expect(at(-300).ok).toBe(true);
    expect(at(301)).toEqual({ ok: false, error: 'stale_timestamp' });
    expect(at(-301)).toEqual({ ok: false, error: 'stale_timestamp' });
  });

  it('says bad_signature, not stale, when a stale delivery is not signed with the secret either', () => {
    expect(verifyDelivery('another-secret-0123456789', TIMESTAMP, signature, BODY, { nowMs: 0 })).toEqual({
      ok: false,
      error: 'bad_signature',
    });
  });
});
