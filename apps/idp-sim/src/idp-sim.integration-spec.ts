import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../../test/support/test-app';

/**
 * Drives the built simulator (`npm run build` first) as a browser and a relying party would: oidc-provider
 * is ES modules only, which Jest cannot load in-process, and the point is to test the real process anyway.
 */
const ENTRY = join(__dirname, '../../../dist/apps/idp-sim/src/main.js');
const CLIENT_ID = 'zhengming';
const CLIENT_SECRET = 'integration-client-secret-0123456789';
const PASSWORD = 'integration-password';
const REDIRECT_URI = 'http://127.0.0.1:9/api/auth/callback';
const ALL_SCOPES = 'openid profile phone real_name';

interface Simulator {
  baseUrl: string;
  output: () => string;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnSimulator(env: Record<string, string>) {
  const child = spawn(process.execPath, [ENTRY], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function startSimulator(): Promise<Simulator> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build first`);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const { child, output, exited } = spawnSimulator({
    IDP_SIM_PORT: String(port),
    IDP_SIM_HOST: '127.0.0.1',
    IDP_SIM_ISSUER: baseUrl,
    IDP_SIM_CLIENT_ID: CLIENT_ID,
    IDP_SIM_CLIENT_SECRET: CLIENT_SECRET,
    IDP_SIM_REDIRECT_URIS: REDIRECT_URI,
    IDP_SIM_PASSWORD: PASSWORD,
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`idp-sim exited with ${child.exitCode}:\n${output()}`);
    if (
      await fetch(`${baseUrl}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`idp-sim not ready:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Just enough of a browser: cookies by path, redirects not followed so that each hop can be checked. */
class Browser {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const path = new URL(url).pathname;
    const cookie = [...this.cookies.values()]
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const cookiePath = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice('path='.length) ?? '/';
      const key = `${name} ${cookiePath}`;
      if (value === '') this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path: cookiePath });
    }
    return response;
  }

  /** Follows redirects within the platform; stops at the first page or at a redirect leaving it. */
  async follow(baseUrl: string, response: Response): Promise<Response | URL> {
    let current = response;
    for (let hops = 0; hops < 10; hops++) {
      if (current.status < 300 || current.status >= 400) return current;
      const location = new URL(current.headers.get('location')!, baseUrl);
      if (location.origin !== new URL(baseUrl).origin) return location;
      current = await this.fetch(location.href);
    }
    throw new Error('too many redirects');
  }
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizationUrl(baseUrl: string, params: Record<string, string>): string {
  const query = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: ALL_SCOPES,
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    ...params,
  });
  return `${baseUrl}/auth?${query}`;
}

async function postLogin(browser: Browser, loginAction: string, username: string, password: string) {
  return browser.fetch(loginAction, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
}

/** Starts an authorization (with a PKCE challenge unless given one) and opens the sign-in form. */
async function openLoginForm(sim: Simulator, browser: Browser, params: Record<string, string> = {}) {
  const challenge = { code_challenge: pkce().challenge, code_challenge_method: 'S256' };
  const started = await browser.fetch(authorizationUrl(sim.baseUrl, { ...challenge, ...params }));
  expect([302, 303]).toContain(started.status);
  const interactionUrl = new URL(started.headers.get('location')!, sim.baseUrl);
  expect(interactionUrl.pathname).toMatch(/^\/interaction\/[\w-]+$/);
  const form = await browser.fetch(interactionUrl.href);
  const html = await form.text();
  return { form, html, loginAction: `${interactionUrl.href}/login` };
}

async function signIn(sim: Simulator, browser: Browser, username: string, scope = ALL_SCOPES) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const { loginAction } = await openLoginForm(sim, browser, {
    scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const callback = await browser.follow(sim.baseUrl, await postLogin(browser, loginAction, username, PASSWORD));
  if (!(callback instanceof URL)) throw new Error(`expected a redirect to the client, got ${callback.status}`);
  return { callback, state, verifier };
}

function basicAuth(): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(CLIENT_ID)}:${encode(CLIENT_SECRET)}`).toString('base64')}`;
}

async function redeem(baseUrl: string, code: string, verifier: string, auth: 'basic' | 'post' = 'basic') {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'basic') {
    headers.authorization = basicAuth();
  } else {
    body.set('client_id', CLIENT_ID);
    body.set('client_secret', CLIENT_SECRET);
  }
  const response = await fetch(`${baseUrl}/token`, { method: 'POST', headers, body: body.toString() });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function decodeJwt(jwt: string) {
  const [header, payload, signature] = jwt.split('.');
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  return {
    header: decode(header) as { alg: string; kid: string },
    payload: decode(payload) as Record<string, unknown>,
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}

const RESIDENT_A = {
  sub: 'd0e1c6c9-3e6f-479f-9148-b6b446ad0706',
  name: '李春梅',
  preferred_username: 'resident-a',
  phone_number: '13800138101',
  phone_number_verified: true,
  id_number: '440118198503120125',
  assurance_level: 3,
  acr: 'urn:zhengming:loa:3',
};

describe('idp-sim (可信认证平台模拟)', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator();
  });

  afterAll(async () => {
    await sim?.stop();
  });

  it('publishes a discovery document for the code flow with S256 PKCE and the real_name scope', async () => {
    const response = await fetch(`${sim.baseUrl}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: sim.baseUrl,
      authorization_endpoint: `${sim.baseUrl}/auth`,
      token_endpoint: `${sim.baseUrl}/token`,
      userinfo_endpoint: `${sim.baseUrl}/me`,
      jwks_uri: `${sim.baseUrl}/jwks`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['openid', 'profile', 'phone', 'real_name'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
    expect(discovery.claims_supported).toEqual(
      expect.arrayContaining(['name', 'preferred_username', 'phone_number', 'id_number', 'assurance_level', 'acr']),
    );
    expect(discovery.acr_values_supported).toEqual(['1', '2', '3', '4'].map((level) => `urn:zhengming:loa:${level}`));
  });

  it('answers the readiness check', async () => {
    const response = await fetch(`${sim.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('shows a Chinese sign-in form for an authorization request', async () => {
    const { form, html, loginAction } = await openLoginForm(sim, new Browser());
    expect(form.status).toBe(200);
    expect(form.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('<title>可信认证平台（模拟）</title>');
    expect(html).toContain(`<form method="post" action="${new URL(loginAction).pathname}">`);
    expect(html).toContain('name="username"');
    expect(html).toContain('name="password" type="password"');
  });

  it('signs resident-a in and hands the client a code, tokens and every identity claim without a consent screen', async () => {
    const browser = new Browser();
    const { callback, state, verifier } = await signIn(sim, browser, 'resident-a');
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(sim.baseUrl);
    const code = callback.searchParams.get('code');
    expect(code).toEqual(expect.any(String));

    const token = await redeem(sim.baseUrl, code!, verifier);
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: ALL_SCOPES });

    const idToken = decodeJwt(String(token.body.id_token));
    expect(idToken.header.alg).toBe('RS256');
    expect(idToken.payload).toMatchObject({
      ...RESIDENT_A,
      iss: sim.baseUrl,
      aud: CLIENT_ID,
      amr: ['pwd'],
    });
    expect(Number(idToken.payload.exp) - Number(idToken.payload.iat)).toBe(600);

    const jwks = (await (await fetch(`${sim.baseUrl}/jwks`)).json()) as { keys: (JsonWebKey & { kid: string })[] };
    const jwk = jwks.keys.find((key) => key.kid === idToken.header.kid);
    expect(jwk).toBeDefined();
    expect(jwk).not.toHaveProperty('d');
    const publicKey = createPublicKey({ key: jwk!, format: 'jwk' });
    expect(verify('sha256', Buffer.from(idToken.signingInput), publicKey, idToken.signature)).toBe(true);

    const userinfo = await fetch(`${sim.baseUrl}/me`, {
      headers: { authorization: `Bearer ${String(token.body.access_token)}` },
    });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toEqual(RESIDENT_A);

    // A code is good once.
    expect((await redeem(sim.baseUrl, code!, verifier)).body.error).toBe('invalid_grant');
  });

  it('releases only the claims of the scopes asked for', async () => {
    const { callback, verifier } = await signIn(sim, new Browser(), 'clerk-a', 'openid profile');
    const token = await redeem(sim.baseUrl, callback.searchParams.get('code')!, verifier);
    const { payload } = decodeJwt(String(token.body.id_token));
    expect(payload).toMatchObject({ name: '张丽华', preferred_username: 'clerk-a', acr: 'urn:zhengming:loa:3' });
    expect(payload).not.toHaveProperty('id_number');
    expect(payload).not.toHaveProperty('phone_number');
  });

  it('grants more scopes to a signed-in person without asking again', async () => {
    const browser = new Browser();
    await signIn(sim, browser, 'resident-b', 'openid profile');
    const { verifier, challenge } = pkce();
    const again = await browser.fetch(
      authorizationUrl(sim.baseUrl, { code_challenge: challenge, code_challenge_method: 'S256' }),
    );
    // The session is known, the grant too small: the consent prompt, which the platform answers itself.
    const consentUrl = new URL(again.headers.get('location')!, sim.baseUrl);
    expect(consentUrl.pathname).toMatch(/^\/interaction\/[\w-]+$/);
    const consent = await browser.fetch(consentUrl.href);
    expect(consent.status).toBe(303);
    const callback = await browser.follow(sim.baseUrl, consent);
    expect(callback).toBeInstanceOf(URL);
    const token = await redeem(sim.baseUrl, (callback as URL).searchParams.get('code')!, verifier);
    const { payload } = decodeJwt(String(token.body.id_token));
    expect(payload).toMatchObject({
      preferred_username: 'resident-b',
      id_number: '440118197809260118',
      assurance_level: 2,
      acr: 'urn:zhengming:loa:2',
    });
  });

  it('refuses a wrong password, and an unknown username, with 401 and the same message', async () => {
    const browser = new Browser();
    const { loginAction } = await openLoginForm(sim, browser);
    for (const [username, password] of [
      ['resident-c', 'not-the-password'],
      ['nobody-<b>', PASSWORD],
    ]) {
      const response = await postLogin(browser, loginAction, username, password);
      expect(response.status).toBe(401);
      const html = await response.text();
      expect(html).toContain('用户名或密码错误');
      expect(html).toContain('<form method="post"');
      expect(html).not.toContain('<b>');
    }
    // The interaction is still usable after failures.
    const callback = await browser.follow(sim.baseUrl, await postLogin(browser, loginAction, 'resident-c', PASSWORD));
    expect(callback).toBeInstanceOf(URL);
  });

  it('locks a username after five wrong passwords, even when the sixth attempt is right', async () => {
    const browser = new Browser();
    const { loginAction } = await openLoginForm(sim, browser);
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await postLogin(browser, loginAction, 'resident-d', `wrong-${attempt}`)).status).toBe(401);
    }
    const locked = await postLogin(browser, loginAction, 'resident-d', PASSWORD);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(600);
    expect(await locked.text()).toContain('尝试次数过多，请 10 分钟后再试');
  });

  it('sends the client invalid_request when the authorization request has no PKCE challenge', async () => {
    const state = 'no-pkce';
    const response = await new Browser().fetch(authorizationUrl(sim.baseUrl, { state }));
    expect([302, 303]).toContain(response.status);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('state')).toBe(state);
  });

  it('refuses a code with the wrong code_verifier, with the secret also accepted in the body', async () => {
    const { callback } = await signIn(sim, new Browser(), 'approver-a');
    const token = await redeem(sim.baseUrl, callback.searchParams.get('code')!, pkce().verifier, 'post');
    expect(token.status).toBe(400);
    expect(token.body.error).toBe('invalid_grant');
  });

  it('logs one JSON line per request, without query strings, passwords, identity numbers or phones', () => {
    const lines = sim
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ msg: 'idp-sim listening', issuer: sim.baseUrl });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'request', method: 'POST', path: '/token', status: 200 }),
    );
    const output = sim.output();
    for (const secret of [PASSWORD, CLIENT_SECRET, RESIDENT_A.id_number, RESIDENT_A.phone_number, 'code=']) {
      expect(output).not.toContain(secret);
    }
  });

  it('stops on SIGTERM', async () => {
    expect(await sim.stop()).toEqual({ code: null, signal: 'SIGTERM' });
  });
});

describe('idp-sim configuration', () => {
  it('refuses to start with exit code 78, naming the variable and not the secret', async () => {
    const { exited, output } = spawnSimulator({
      IDP_SIM_CLIENT_SECRET: 'too-short',
      IDP_SIM_REDIRECT_URIS: REDIRECT_URI,
      IDP_SIM_PASSWORD: PASSWORD,
    });
    expect(await exited).toEqual({ code: 78, signal: null });
    expect(output()).toContain('IDP_SIM_CLIENT_SECRET');
    expect(output()).not.toContain('too-short');
  });
});
