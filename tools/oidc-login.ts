import { DEFAULT_DEVELOPMENT_SECRETS_FILE, readDevelopmentSecrets } from '@zhengming/config';
/**
 * Signs a seeded person in the way a browser does: through the API's sign-in route, the identity
 * platform's login form and the API's callback, following every redirect with the cookies each
 * server set. Nothing is signed or forged here; the tokens are the ones the API issues at the end.
 * Used by `npm run token`, the tests and the benchmarks.
 */
export interface LoginResult {
  accessToken: string;
  refreshToken: string;
  /** Where the API sent the browser after signing in. */
  landedOn: string;
}

export class LoginError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

/** Cookies by origin, as far as this flow needs them (names and values; deletions honoured). */
class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, string>>();

  header(url: URL): string | undefined {
    const cookies = this.byOrigin.get(url.origin);
    return cookies && cookies.size > 0 ? [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  store(url: URL, response: Response): void {
    const cookies = this.byOrigin.get(url.origin) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, raw] = attribute.trim().split('=');
        if (/^max-age$/i.test(key)) return Number(raw) <= 0;
        if (/^expires$/i.test(key)) return Date.parse(raw) <= Date.now();
        return false;
      });
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    this.byOrigin.set(url.origin, cookies);
  }

  get(url: URL, name: string): string | undefined {
    return this.byOrigin.get(url.origin)?.get(name);
  }
}

const MAX_STEPS = 20;

export async function loginThroughPlatform(options: {
  apiBaseUrl: string;
  username: string;
  password: string;
  returnTo?: string;
}): Promise<LoginResult> {
  const jar = new CookieJar();
  const api = new URL(options.apiBaseUrl);
  let url = new URL(`/api/auth/login?returnTo=${encodeURIComponent(options.returnTo ?? '/me')}`, api);
  let init: RequestInit = { method: 'GET' };
  for (let step = 0; step < MAX_STEPS; step++) {
    const cookie = jar.header(url);
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    jar.store(url, response);
    const accessToken = jar.get(api, 'zm_at');
    const refreshToken = jar.get(api, 'zm_rt');
    if (accessToken && refreshToken) {
      return { accessToken, refreshToken, landedOn: response.headers.get('location') ?? url.pathname };
    }
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      if (!location) throw new LoginError(`redirect without a location from ${url.origin}`, response.status);
      await response.body?.cancel();
      url = new URL(location, url);
      init = { method: 'GET' };
      continue;
    }
    const body = await response.text();
    const form = /<form[^>]*action="([^"]+)"/i.exec(body);
    if (response.status === 200 && form && /name="password"/.test(body)) {
      url = new URL(form[1].replace(/&amp;/g, '&'), url);
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: options.username, password: options.password }).toString(),
      };
      continue;
    }
    throw new LoginError(describeFailure(url, response.status, body), response.status);
  }
  throw new LoginError(`sign-in did not finish within ${MAX_STEPS} steps`);
}

function describeFailure(url: URL, status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { code?: string; message?: string };
    if (parsed.code) return `${url.origin}${url.pathname} answered ${status} ${parsed.code}: ${parsed.message ?? ''}`;
  } catch {
    // Not JSON: the identity platform's HTML page.
  }
  const text = body
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  return `${url.origin}${url.pathname} answered ${status}: ${text}`;
}

/**
 * idp-sim's test password of the seeded users: `IDP_SIM_PASSWORD`, or the one the embedded first start
 * generated into the development secrets; undefined when neither exists yet.
 */
export function seededUserPassword(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return (
    env.IDP_SIM_PASSWORD ||
    readDevelopmentSecrets(env.DEV_SECRETS_FILE || DEFAULT_DEVELOPMENT_SECRETS_FILE).IDP_SIM_PASSWORD ||
    undefined
  );
}

export const NO_SEEDED_PASSWORD =
  'IDP_SIM_PASSWORD is not set and no development secrets exist: start the system first\n';
