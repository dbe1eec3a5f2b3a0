// Offline check of a presentation code (出示码): a compact JWS (ES256) that the resident's phone shows as
// a QR, verified in the browser against the district's published trust list, so that a bank or a school
// can check it without reaching the API. Pure TypeScript over WebCrypto: runs in a browser and in Node ≥ 20.

/** One signing key of the trust list, as a public JWK with its validity (epoch seconds). */
export interface TrustListKey {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg?: 'ES256';
  use?: 'sig';
  nbf?: number;
  exp?: number;
}

export interface TrustListCertificate {
  role: 'root' | 'issuing';
  subject: string;
  serialHex: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
  pem: string;
}

/** `GET /api/trust-list`. */
export interface TrustList {
  issuer: string;
  issuedAt: string;
  nextUpdate: string;
  keys: TrustListKey[];
  certificates: TrustListCertificate[];
}

export type PresentationCertificateStatus = 'valid' | 'expired' | 'revoked';

/** What a presentation code says about the certificate, as signed when the code was made. */
export interface PresentationClaims {
  iss: string;
  /** The certificate number, printed form. */
  sub: string;
  /** The certificate type's code and name. */
  typ: string;
  tn: string;
  /** The issuing committee's name. */
  cm: string;
  /** Holder's name and ID number, masked. */
  hn: string;
  hid: string;
  /** SHA-256 of the signed PDF, hex. */
  dh: string;
  /** The certificate's status when the code was made. */
  st: PresentationCertificateStatus;
  iat: number;
  exp: number;
}

export type PresentationFailure =
  | 'malformed'
  | 'unknown_key'
  | 'key_not_valid'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  /** No WebCrypto here (an old browser, or a page not served over HTTPS). */
  | 'unsupported';

export type PresentationResult =
  | { ok: true; claims: PresentationClaims; kid: string }
  | {
      ok: false;
      reason: PresentationFailure;
      /** With `expired`: how many seconds ago the code expired. */
      expiredSecondsAgo?: number;
    };

export const PRESENTATION_TYPE = 'zm-presentation+jwt';
/** A code is still accepted this long after its `exp`, for clocks that are a little off. */
export const EXPIRY_SKEW_SECONDS = 30;
/** …and may be dated this far in the future. */
export const ISSUED_AT_SKEW_SECONDS = 60;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const STATUSES: readonly string[] = ['valid', 'expired', 'revoked'];

/** base64url (no padding) to bytes; null when it is not base64url. */
export function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  try {
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeJsonObject(part: string): Record<string, unknown> | null {
  const bytes = base64UrlDecode(part);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The claims of a payload, or null when the ones the check relies on are missing. */
function readClaims(payload: Record<string, unknown> | null): PresentationClaims | null {
  if (!payload) return null;
  const { sub, st, iat, exp } = payload;
  if (typeof sub !== 'string' || !sub || !isTime(iat) || !isTime(exp)) return null;
  if (typeof st !== 'string' || !STATUSES.includes(st)) return null;
  return {
    iss: text(payload.iss),
    sub,
    typ: text(payload.typ),
    tn: text(payload.tn),
    cm: text(payload.cm),
    hn: text(payload.hn),
    hid: text(payload.hid),
    dh: text(payload.dh),
    st: st as PresentationCertificateStatus,
    iat,
    exp,
  };
}

/** A trust-list entry usable for ES256 signatures. */
function usableKey(key: TrustListKey | undefined): key is TrustListKey {
  return (
    !!key &&
    key.kty === 'EC' &&
    key.crv === 'P-256' &&
    typeof key.x === 'string' &&
    typeof key.y === 'string' &&
    (key.alg === undefined || key.alg === 'ES256') &&
    (key.use === undefined || key.use === 'sig')
  );
}

function keyValidAt(key: TrustListKey, at: number): boolean {
  if (isTime(key.nbf) && at < key.nbf) return false;
  if (isTime(key.exp) && at >= key.exp) return false;
  return true;
}

/**
 * Checks a presentation code offline: its form, the ES256 signature by a key of the trust list that was
 * valid when the code was made, and the code's own lifetime. `now` in milliseconds.
 */
export async function verifyPresentation(
  token: string,
  trustList: Pick<TrustList, 'keys'>,
  now: number = Date.now(),
): Promise<PresentationResult> {
  const compact = token.trim();
  if (!JWS.test(compact)) return { ok: false, reason: 'malformed' };
  const [headerPart, payloadPart, signaturePart] = compact.split('.') as [string, string, string];

  const header = decodeJsonObject(headerPart);
  const signature = base64UrlDecode(signaturePart);
  if (!header || !signature || signature.length !== 64) return { ok: false, reason: 'malformed' };
  if (header.alg !== 'ES256' || typeof header.kid !== 'string' || !header.kid)
    return { ok: false, reason: 'malformed' };
  // Another kind of token signed by the same key (a different `typ`) is not a presentation code.
  if (header.typ !== undefined && header.typ !== PRESENTATION_TYPE) return { ok: false, reason: 'malformed' };

  const kid = header.kid;
  const key = (Array.isArray(trustList.keys) ? trustList.keys : []).find((candidate) => candidate?.kid === kid);
  if (!usableKey(key)) return { ok: false, reason: 'unknown_key' };

  const claims = readClaims(decodeJsonObject(payloadPart));
  // Checked before the signature, as the contract orders it; the signature check below covers `iat` anyway.
  if (claims && !keyValidAt(key, claims.iat)) return { ok: false, reason: 'key_not_valid' };

  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return { ok: false, reason: 'unsupported' };
  let publicKey: CryptoKey;
  try {
    publicKey = await subtle.importKey(
      'jwk',
      { kty: key.kty, crv: key.crv, x: key.x, y: key.y },
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
  } catch {
    // A key the trust list cannot really hold: as good as not listed.
    return { ok: false, reason: 'unknown_key' };
  }
  const signed = new TextEncoder().encode(`${headerPart}.${payloadPart}`);
  let intact = false;
  try {
    intact = await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, signature, signed);
  } catch {
    intact = false;
  }
  if (!intact) return { ok: false, reason: 'bad_signature' };
  // Signed by the district, yet not a presentation code this page understands.
  if (!claims) return { ok: false, reason: 'malformed' };

  const seconds = now / 1000;
  if (claims.exp <= seconds - EXPIRY_SKEW_SECONDS) {
    return { ok: false, reason: 'expired', expiredSecondsAgo: Math.max(0, Math.floor(seconds - claims.exp)) };
  }
  if (claims.iat > seconds + ISSUED_AT_SKEW_SECONDS) return { ok: false, reason: 'not_yet_valid' };
  return { ok: true, claims, kid };
}

/** What a scanned or pasted text asks for. */
export type ScanTarget =
  { kind: 'presentation'; token: string } | { kind: 'certificate'; number: string; code: string } | null;

/**
 * Reads a scanned QR or a pasted text: a presentation URL (`…/v#p=<token>`), a bare token, or the QR
 * printed on a certificate (`…/v/<number>?c=<code>`).
 */
export function readScannedText(input: string): ScanTarget {
  const value = input.trim();
  if (!value) return null;
  const fragment = /#(?:.*&)?p=([^&\s]+)/.exec(value);
  if (fragment) {
    let token = fragment[1]!;
    try {
      token = decodeURIComponent(token);
    } catch {
      return null;
    }
    return JWS.test(token) ? { kind: 'presentation', token } : null;
  }
  if (JWS.test(value)) return { kind: 'presentation', token: value };
  let url: URL;
  try {
    url = new URL(value, 'https://placeholder.invalid');
  } catch {
    return null;
  }
  const path = /^\/v\/([0-9A-Za-z-]+)\/?$/.exec(url.pathname);
  const code = url.searchParams.get('c');
  if (path && code) return { kind: 'certificate', number: path[1]!, code };
  return null;
}

/** The presentation token in a location hash such as `#p=<token>`; null when there is none. */
export function tokenFromHash(hash: string): string | null {
  const target = hash ? readScannedText(hash.startsWith('#') ? hash : `#${hash}`) : null;
  return target?.kind === 'presentation' ? target.token : null;
}

/** Seconds between a token's `iat` and `exp`, read without checking it (the issuer's own clock); null if unreadable. */
export function tokenLifetimeSeconds(token: string): number | null {
  const payload = decodeJsonObject(token.split('.')[1] ?? '');
  if (!payload || !isTime(payload.iat) || !isTime(payload.exp) || payload.exp <= payload.iat) return null;
  return payload.exp - payload.iat;
}
