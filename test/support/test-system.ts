import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginThroughPlatform } from '../../tools/oidc-login';
import { freePort, ROOT, startApi, startProcess, type RunningApi, type RunningProcess } from './test-app';
import { TEST_SECRETS } from './test-secrets';

export const IDP_SIM_ENTRY = join(ROOT, 'dist/apps/idp-sim/src/main.js');
export const POWER_GRID_SIM_ENTRY = join(ROOT, 'dist/apps/power-grid-sim/src/main.js');
export const TSA_SIM_ENTRY = join(ROOT, 'dist/apps/tsa-sim/src/main.js');
export const TSA_INIT_ENTRY = join(ROOT, 'dist/db/cli/tsa-init.js');

export interface RunningTsaSim {
  url: string;
  output: () => string;
  /** `{ issued, rejected, refused }`: refused counts connections reset by an outage. */
  stats(): Promise<{ issued: number; rejected: number; refused: number }>;
  /** POST /control/outage ({ seconds }: 0 ends it), PUT /control ({ latencyMs }), POST /control/reset. */
  control(path: '/control' | '/control/outage' | '/control/reset', body?: object): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The time-stamping authority's stand-in, certified by the district issuing CA of the database the
 * API uses (`db/cli/tsa-init`, as `npm start` does), on `port`. `env` is the API's: the database and
 * the key store the issuing CA's key is in.
 */
/** tsa-sim on `port` with the key and certificate in `dir` (`tsa.key`, `tsa.pem`), once it answers. */
export function runTsaSim(dir: string, port: number): Promise<RunningProcess> {
  return startProcess(
    'tsa-sim',
    TSA_SIM_ENTRY,
    {
      TSA_SIM_PORT: String(port),
      TSA_SIM_KEY_FILE: join(dir, 'tsa.key'),
      TSA_SIM_CERT_FILE: join(dir, 'tsa.pem'),
    },
    `http://127.0.0.1:${port}/healthz`,
    30_000,
  );
}

export async function startTsaSim(port: number, env: Record<string, string>): Promise<RunningTsaSim> {
  const dir = await mkdtemp(join(tmpdir(), 'zm-tsa-'));
  const init = spawn(process.execPath, [TSA_INIT_ENTRY, dir], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...TEST_SECRETS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let initOutput = '';
  init.stdout.on('data', (chunk: Buffer) => (initOutput += chunk.toString()));
  init.stderr.on('data', (chunk: Buffer) => (initOutput += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => init.once('exit', resolve));
  if (code !== 0) throw new Error(`tsa-init exited with ${code}:\n${initOutput}`);
  const url = `http://127.0.0.1:${port}`;
  const sim = await runTsaSim(dir, port);
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${url}${path}`, init);
    if (!response.ok) throw new Error(`tsa-sim ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    url: `${url}/`,
    output: sim.output,
    stats: () => json('/stats'),
    control: async (path, body) => {
      await json(path, {
        method: path === '/control' ? 'PUT' : 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    },
    stop: async () => {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface PowerGridStats {
  received: number;
  unique: number;
  duplicates: number;
  rejected: number;
  failed: number;
  refused: number;
}

export interface RunningPowerGridSim {
  url: string;
  output: () => string;
  stats(): Promise<PowerGridStats>;
  records(): Promise<{ certificateNo: string; receiptNo: string; idempotencyKey: string; signatureValid: boolean }[]>;
  /** PUT /control (faults) or POST /control/outage ({ seconds }). */
  control(path: '/control' | '/control/outage' | '/control/reset', body?: object): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the built power-supply company stand-in on a free port, records in memory unless `env` says otherwise. */
export async function startPowerGridSim(env: Record<string, string> = {}): Promise<RunningPowerGridSim> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const sim = await startProcess(
    'power-grid-sim',
    POWER_GRID_SIM_ENTRY,
    {
      POWER_GRID_SIM_PORT: String(port),
      POWER_GRID_HMAC_SECRET: TEST_SECRETS.POWER_GRID_HMAC_SECRET,
      POWER_GRID_SIM_DATA: 'memory',
      ...env,
    },
    `${url}/healthz`,
    30_000,
  );
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${url}${path}`, init);
    if (!response.ok) throw new Error(`power-grid-sim ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    url,
    output: sim.output,
    stats: () => json<PowerGridStats>('/stats'),
    records: async () => (await json<{ items: Awaited<ReturnType<RunningPowerGridSim['records']>> }>('/records')).items,
    control: async (path, body) => {
      await json(path, {
        method: path === '/control' ? 'PUT' : 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    },
    stop: () => sim.stop().then(() => undefined),
  };
}

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
  /** The power-supply company's stand-in, unless the test named its own POWER_GRID_URL. */
  powerGrid: RunningPowerGridSim | undefined;
  /** The time-stamping authority's stand-in, unless the test named its own TSA_URL (or `off`). */
  tsa: RunningTsaSim | undefined;
  /** An access token for a seeded person, through the real sign-in flow. */
  token(username: string): Promise<string>;
  /** A token of a new session, for calls that end the session they use (logout). */
  freshToken(username: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The identity-platform simulator, the power-grid and TSA stand-ins and the API, wired together as
 * `npm start` runs them. The TSA is certified from the API's database once the API has made the
 * district PKI, so it starts after the API (on a port the API is told beforehand).
 */
export async function startSystem(env: Record<string, string>): Promise<RunningSystem> {
  const apiPort = await freePort();
  const idp = await startIdpSim(`http://127.0.0.1:${apiPort}/api/auth/callback`);
  const powerGrid = env.POWER_GRID_URL ? undefined : await startPowerGridSim();
  const tsaPort = env.TSA_URL ? undefined : await freePort();
  const api = await startApi({
    PORT: String(apiPort),
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    OIDC_ISSUER: idp.issuer,
    ...(powerGrid ? { POWER_GRID_URL: powerGrid.url } : {}),
    ...(tsaPort ? { TSA_URL: `http://127.0.0.1:${tsaPort}/` } : {}),
    ...env,
  });
  const tsa = tsaPort ? await startTsaSim(tsaPort, env) : undefined;
  const tokens = new Map<string, string>();
  const freshToken = async (username: string) =>
    (await loginThroughPlatform({ apiBaseUrl: api.baseUrl, username, password: TEST_SECRETS.IDP_SIM_PASSWORD }))
      .accessToken;
  return {
    api,
    idp,
    powerGrid,
    tsa,
    async token(username) {
      const token = tokens.get(username) ?? (await freshToken(username));
      tokens.set(username, token);
      return token;
    },
    freshToken,
    async stop() {
      await api.stop();
      await idp.stop();
      await powerGrid?.stop();
      await tsa?.stop();
    },
  };
}
