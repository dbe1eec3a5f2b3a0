import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { loadConfigOrExit, withDevelopmentSecrets } from '@zhengming/config';

/**
 * `npm start`: the whole system in one command. Starts the identity-platform simulator (unless
 * OIDC_ISSUER names a real provider), the power-supply company's stand-in (unless POWER_GRID_URL names
 * the real one) and then the API, both with the same generated development
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
  start('api', 'api/src/main.js', { OIDC_ISSUER: config.auth.oidc.issuer, POWER_GRID_URL: config.powerGrid.url });
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  void stopAll(1);
});
