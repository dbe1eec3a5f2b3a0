import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Secrets the system cannot run without; none of them has a default, and none lives in the repository. */
export const DEVELOPMENT_SECRET_VARIABLES = [
  'PII_ENCRYPTION_KEYS',
  'PII_HASH_KEY',
  'OIDC_CLIENT_SECRET',
  'IDP_SIM_PASSWORD',
  'KEY_ENCRYPTION_KEYS',
  'POWER_GRID_HMAC_SECRET',
] as const;
export type DevelopmentSecret = (typeof DEVELOPMENT_SECRET_VARIABLES)[number];

export const DEFAULT_DEVELOPMENT_SECRETS_FILE = './data/dev-secrets.json';

function generate(name: DevelopmentSecret): string {
  switch (name) {
    case 'PII_ENCRYPTION_KEYS':
      return `dev1:${randomBytes(32).toString('base64')}`;
    case 'PII_HASH_KEY':
      return randomBytes(32).toString('base64');
    case 'OIDC_CLIENT_SECRET':
      return randomBytes(24).toString('base64url');
    case 'IDP_SIM_PASSWORD':
      return randomBytes(9).toString('base64url');
    case 'KEY_ENCRYPTION_KEYS':
      return `dev1:${randomBytes(32).toString('base64')}`;
    case 'POWER_GRID_HMAC_SECRET':
      return randomBytes(32).toString('base64url');
  }
}

/**
 * The embedded mode (no DATABASE_URL) must start on a fresh clone with one command, yet secrets may
 * not live in the repository: on first start they are generated into a local file (mode 0600, inside
 * the ignored data folder) and reused afterwards, so encrypted rows stay readable across restarts.
 * With a server database nothing is generated: a missing secret is a configuration error.
 */
export function withDevelopmentSecrets(env: Record<string, string | undefined>): Record<string, string | undefined> {
  if (env.DATABASE_URL) return env;
  const missing = DEVELOPMENT_SECRET_VARIABLES.filter((name) => !env[name]);
  if (missing.length === 0) return env;
  const file = env.DEV_SECRETS_FILE || DEFAULT_DEVELOPMENT_SECRETS_FILE;
  const stored = readDevelopmentSecrets(file);
  const added = missing.filter((name) => !stored[name]);
  for (const name of added) stored[name] = generate(name);
  if (added.length > 0) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { ...env, ...Object.fromEntries(missing.map((name) => [name, stored[name]])) };
}

export function readDevelopmentSecrets(file: string = DEFAULT_DEVELOPMENT_SECRETS_FILE): Record<string, string> {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}
