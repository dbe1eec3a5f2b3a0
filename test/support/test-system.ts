import { join } from 'node:path';
import { loginThroughPlatform } from '../../tools/oidc-login';
import { freePort, ROOT, startApi, startProcess, type RunningApi } from './test-app';
import { TEST_SECRETS } from './test-secrets';

export const IDP_SIM_ENTRY = join(ROOT, 'dist/apps/idp-sim/src/main.js');

export interface RunningIdp {
  issuer: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts the built identity-platform simulator on a free port, trusting the given API callback. */
export async function startIdpSim(redirectUri: string, port?: number): Promise<RunningIdp> {
  const idpPort = port ?? (await freePort());
  const issuer = `http://127.0.0.1:${idpPort}`;
  const idp = await startProcess(
    'idp-sim',
    IDP_SIM_ENTRY,
    {
      IDP_SIM_PORT: String(idpPort),
      IDP_SIM_HOST: '127.0.0.1',
      IDP_SIM_ISSUER: issuer,
      IDP_SIM_CLIENT_SECRET: TEST_SECRETS.OIDC_CLIENT_SECRET,
      IDP_SIM_REDIRECT_URIS: redirectUri,
      IDP_SIM_PASSWORD: TEST_SECRETS.IDP_SIM_PASSWORD,
    },
    `${issuer}/healthz`,
    30_000,
  );
  return { issuer, output: idp.output, stop: () => idp.stop().then(() => undefined) };
}

export interface RunningSystem {
  api: RunningApi;
  idp: RunningIdp;
  /** An access token for a seeded person, through the real sign-in flow. */
  token(username: string): Promise<string>;
  /** A token of a new session, for calls that end the session they use (logout). */
  freshToken(username: string): Promise<string>;
  stop(): Promise<void>;
}

/** The identity-platform simulator and the API, wired to each other, as `npm start` runs them. */
export async function startSystem(env: Record<string, string>): Promise<RunningSystem> {
  const apiPort = await freePort();
  const idp = await startIdpSim(`http://127.0.0.1:${apiPort}/api/auth/callback`);
  const api = await startApi({
    PORT: String(apiPort),
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    OIDC_ISSUER: idp.issuer,
    ...env,
  });
  const tokens = new Map<string, string>();
  const freshToken = async (username: string) =>
    (await loginThroughPlatform({ apiBaseUrl: api.baseUrl, username, password: TEST_SECRETS.IDP_SIM_PASSWORD }))
      .accessToken;
  return {
    api,
    idp,
    async token(username) {
      const token = tokens.get(username) ?? (await freshToken(username));
      tokens.set(username, token);
      return token;
    },
    freshToken,
    async stop() {
      await api.stop();
      await idp.stop();
    },
  };
}
