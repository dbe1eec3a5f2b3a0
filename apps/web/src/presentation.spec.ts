import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  base64UrlDecode,
  base64UrlEncode,
  readScannedText,
  tokenFromHash,
  tokenLifetimeSeconds,
  verifyPresentation,
  type TrustList,
  type TrustListKey,
} from './presentation';

// Node's WebCrypto (globalThis.crypto) stands in for the browser's: the same API, the same P-256.
const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
const NOW = Date.UTC(2026, 2, 1, 9, 30, 0);
const nowSeconds = NOW / 1000;

const claims = {
  iss: 'https://zhengming.zengcheng.gov.cn',
  sub: '440118001001-EV-2026-000123-K7',
  typ: 'EV',
  tn: '经济困难证明',
  cm: '增城区荔城街道城南社区居民委员会',
  hn: '张*明',
  hid: '4401**********1234',
  dh: 'ab'.repeat(32),
  st: 'valid',
  iat: nowSeconds - 60,
  exp: nowSeconds + 240,
};

let signingKey: CryptoKey;
let otherKey: CryptoKey;
let trustList: TrustList;

const encodeJson = (value: unknown) => base64UrlEncode(encoder.encode(JSON.stringify(value)));

async function sign(
  payload: Record<string, unknown>,
  { key = signingKey, kid = 'district-2026', header = {} as Record<string, unknown> } = {},
): Promise<string> {
  const signed = `${encodeJson({ alg: 'ES256', kid, typ: 'zm-presentation+jwt', ...header })}.${encodeJson(payload)}`;
  const signature = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, encoder.encode(signed));
  return `${signed}.${base64UrlEncode(new Uint8Array(signature))}`;
}

beforeAll(async () => {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const other = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  signingKey = pair.privateKey;
  otherKey = other.privateKey;
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  const key: TrustListKey = {
    kty: 'EC',
    crv: 'P-256',
    x: jwk.x!,
    y: jwk.y!,
    kid: 'district-2026',
    alg: 'ES256',
    use: 'sig',
    nbf: nowSeconds - 86_400,
    exp: nowSeconds + 86_400 * 365,
  };
  trustList = {
    issuer: '增城区电子证明服务',
    issuedAt: new Date(NOW - 3_600_000).toISOString(),
    nextUpdate: new Date(NOW + 86_400_000).toISOString(),
    keys: [key],
    certificates: [],
  };
});

describe('verifyPresentation', () => {
  it('accepts a code signed by a listed key and returns its claims', async () => {
    const result = await verifyPresentation(await sign(claims), trustList, NOW);
    expect(result).toEqual({ ok: true, claims, kid: 'district-2026' });
  });

  it('accepts a code within the 30 s allowance after its expiry', async () => {
    const token = await sign({ ...claims, exp: nowSeconds - 20 });
    expect((await verifyPresentation(token, trustList, NOW)).ok).toBe(true);
  });

  it('refuses an expired code and says how long ago it expired', async () => {
    const token = await sign({ ...claims, iat: nowSeconds - 900, exp: nowSeconds - 600 });
    expect(await verifyPresentation(token, trustList, NOW)).toEqual({
      ok: false,
      reason: 'expired',
      expiredSecondsAgo: 600,
    });
  });

  it('refuses a code dated more than a minute in the future', async () => {
    const token = await sign({ ...claims, iat: nowSeconds + 120, exp: nowSeconds + 420 });
    expect(await verifyPresentation(token, trustList, NOW)).toMatchObject({ ok: false, reason: 'not_yet_valid' });
  });

  it('refuses a tampered payload: the signature no longer matches', async () => {
    const token = await sign(claims);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${encodeJson({ ...claims, hn: '李*华', st: 'valid' })}.${signature}`;
    expect(await verifyPresentation(forged, trustList, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a code signed by another key under a listed kid', async () => {
    const token = await sign(claims, { key: otherKey });
    expect(await verifyPresentation(token, trustList, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a flipped signature byte', async () => {
    const token = await sign(claims);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const bytes = base64UrlDecode(signature)!;
    bytes[10] ^= 0x01;
    const flipped = `${header}.${payload}.${base64UrlEncode(bytes)}`;
    expect(await verifyPresentation(flipped, trustList, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a code whose kid is not in the trust list', async () => {
    const token = await sign(claims, { kid: 'someone-else' });
    expect(await verifyPresentation(token, trustList, NOW)).toEqual({ ok: false, reason: 'unknown_key' });
    expect(await verifyPresentation(await sign(claims), { keys: [] }, NOW)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('refuses a code made while its key was not valid', async () => {
    const retired: TrustList = { ...trustList, keys: [{ ...trustList.keys[0]!, exp: nowSeconds - 3_600 }] };
    expect(await verifyPresentation(await sign(claims), retired, NOW)).toEqual({ ok: false, reason: 'key_not_valid' });
    const future: TrustList = { ...trustList, keys: [{ ...trustList.keys[0]!, nbf: nowSeconds + 3_600 }] };
    expect(await verifyPresentation(await sign(claims), future, NOW)).toEqual({ ok: false, reason: 'key_not_valid' });
  });

  it.each([
    ['an empty string', ''],
    ['plain text', '这不是出示码'],
    ['two parts', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0'],
    ['four parts', 'a.b.c.d'],
    ['non-base64url characters', 'ab+c.de/f.gh=='],
    ['a header that is not JSON', `${base64UrlEncode(encoder.encode('not json'))}.e30.${'A'.repeat(86)}`],
    ['a short signature', `${encodeJson({ alg: 'ES256', kid: 'district-2026' })}.e30.AAAA`],
  ])('refuses %s as malformed', async (_name, token) => {
    expect(await verifyPresentation(token, trustList, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses another algorithm or token type as malformed', async () => {
    const none = `${encodeJson({ alg: 'none', kid: 'district-2026' })}.${encodeJson(claims)}.`;
    expect(await verifyPresentation(none, trustList, NOW)).toEqual({ ok: false, reason: 'malformed' });
    const hs256 = await sign(claims, { header: { alg: 'HS256' } });
    expect(await verifyPresentation(hs256, trustList, NOW)).toEqual({ ok: false, reason: 'malformed' });
    const otherType = await sign(claims, { header: { typ: 'JWT+other' } });
    expect(await verifyPresentation(otherType, trustList, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a correctly signed payload without the claims it needs as malformed', async () => {
    const { sub: _sub, ...withoutSubject } = claims;
    expect(await verifyPresentation(await sign(withoutSubject), trustList, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('ignores surrounding whitespace', async () => {
    expect((await verifyPresentation(`  ${await sign(claims)}\n`, trustList, NOW)).ok).toBe(true);
  });
});

describe('readScannedText', () => {
  it('finds the token in a presentation URL, in a bare token, and in a hash', async () => {
    const token = await sign(claims);
    expect(readScannedText(`https://zm.example.cn/v#p=${token}`)).toEqual({ kind: 'presentation', token });
    expect(readScannedText(token)).toEqual({ kind: 'presentation', token });
    expect(tokenFromHash(`#p=${token}`)).toBe(token);
    expect(tokenFromHash('')).toBeNull();
  });

  it('reads the QR printed on a certificate', () => {
    expect(readScannedText('http://localhost:3000/v/440118001001EV2026000123K7?c=7KQ2M9XD')).toEqual({
      kind: 'certificate',
      number: '440118001001EV2026000123K7',
      code: '7KQ2M9XD',
    });
  });

  it('recognises nothing else', () => {
    expect(readScannedText('https://example.com/')).toBeNull();
    expect(readScannedText('hello')).toBeNull();
    expect(readScannedText('https://zm.example.cn/v/440118001001EV2026000123K7')).toBeNull();
  });
});

describe('tokenLifetimeSeconds', () => {
  it('is exp − iat of the payload', async () => {
    expect(tokenLifetimeSeconds(await sign(claims))).toBe(300);
    expect(tokenLifetimeSeconds('x.y.z')).toBeNull();
  });
});
