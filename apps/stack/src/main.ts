import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigOrExit, withDevelopmentSecrets } from '@zhengming/config';

/**
 * `npm start`: the whole system in one command. Starts the identity-platform simulator (unless
 * OIDC_ISSUER names a real provider), the power-supply company's stand-in (unless POWER_GRID_URL names
 * the real one), the time-stamping authority's (unless TSA_URL names one, or is `off`), with a key and
 * certificate from the district PKI, and then the API, all with the same generated development
 * secrets, passes their output through, and stops everything when one of them stops or on Ctrl-C.
 */
const DIST_APPS = join(__dirname, '../..');

// The launcher hands its environment to the processes it starts; reading it here is the point.
// eslint-disable-next-line no-restricted-properties
const env = withDevelopmentSecrets(process.env);
const config = loadConfigOrExit(env);
const children: { name: string; child: ChildProcess }[] = [];
let stopping = false;

function start(name: string, entry: string, extraEnv: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(DIST_APPS, entry)], {
    env: { ...env, ...extraEnv },
    stdio: 'inherit',
  });
  children.push({ name, child });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`${name} stopped (${signal ?? `exit ${code}`}); stopping the system\n`);
    void stopAll(code ?? 1);
  });
  return child;
}

async function waitFor(url: string, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    const ok = await fetch(url)
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs} ms`);
}

async function stopAll(exitCode: number): Promise<void> {
  stopping = true;
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  process.exit(exitCode);
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  if (!env.OIDC_ISSUER) {
    const port = new URL(config.auth.oidc.issuer).port;
    start('idp-sim', 'idp-sim/src/main.js', {
      IDP_SIM_PORT: port,
      IDP_SIM_ISSUER: config.auth.oidc.issuer,
      IDP_SIM_CLIENT_ID: config.auth.oidc.clientId,
      IDP_SIM_CLIENT_SECRET: config.auth.oidc.clientSecret,
      IDP_SIM_REDIRECT_URIS: config.auth.oidc.redirectUri,
      IDP_SIM_PASSWORD: env.IDP_SIM_PASSWORD!,
    });
    await waitFor(`http://127.0.0.1:${port}/healthz`, 'idp-sim');
    process.stdout.write(
      `${JSON.stringify({
        msg: 'identity platform simulator ready',
        issuer: config.auth.oidc.issuer,
        users: 'resident-a resident-b clerk-a approver-a clerk-b approver-b supervisor-a admin',
        password: env.DATABASE_URL
          ? 'IDP_SIM_PASSWORD'
          : `IDP_SIM_PASSWORD in ${env.DEV_SECRETS_FILE || './data/dev-secrets.json'}`,
      })}\n`,
    );
  }
  if (!env.POWER_GRID_URL) {
    const port = String(config.powerGrid.simPort);
    start('power-grid-sim', 'power-grid-sim/src/main.js', {
      POWER_GRID_SIM_PORT: port,
      POWER_GRID_HMAC_SECRET: config.powerGrid.hmacSecret,
    });
    await waitFor(`http://127.0.0.1:${port}/healthz`, 'power-grid-sim');
  }
  if (!env.TSA_URL) {
    await startTsaSim();
  }
  start('api', 'api/src/main.js', {
    OIDC_ISSUER: config.auth.oidc.issuer,
    POWER_GRID_URL: config.powerGrid.url,
    TSA_URL: config.timestamp.url ?? 'off',
  });
}

/** Where tsa-sim's key and certificate live: beside the embedded database, in `./data/tsa` otherwise. */
const TSA_DIR = join(config.database.mode === 'embedded' ? join(config.database.dataDir, '..') : 'data', 'tsa');

/**
 * tsa-sim with a key certified by the district issuing CA (tsa-init), made again whenever the files are
 * missing or the database is new (an embedded one not made yet, or a server, which may be another
 * one than last time), so its tokens always chain to the root the API uses. The token carries the TSA
 * certificate only: the issuing CA and the root are in every signature's CMS already.
 */
async function startTsaSim(): Promise<void> {
  const files = { key: join(TSA_DIR, 'tsa.key'), certificate: join(TSA_DIR, 'tsa.pem') };
  const fresh =
    config.database.mode === 'server' ||
    !existsSync(config.database.dataDir) ||
    !existsSync(files.key) ||
    !existsSync(files.certificate);
  if (fresh) {
    const init = spawn(process.execPath, [join(DIST_APPS, '../db/cli/tsa-init.js'), TSA_DIR], {
      env,
      stdio: 'inherit',
    });
    const code = await new Promise<number | null>((resolve) => init.once('exit', resolve));
    if (code !== 0) throw new Error(`tsa-init ended with exit code ${code}`);
  }
  const port = String(config.timestamp.simPort);
  start('tsa-sim', 'tsa-sim/src/main.js', {
    TSA_SIM_PORT: port,
    TSA_SIM_KEY_FILE: files.key,
    TSA_SIM_CERT_FILE: files.certificate,
  });
  await waitFor(`http://127.0.0.1:${port}/healthz`, 'tsa-sim');
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  void stopAll(1);
});
