import { join } from 'node:path';
import { z } from 'zod';
import { configOrExit, parseSimEnvironment } from '@zhengming/sim-kit';

/**
 * Configuration of the identity platform simulator. It is an app of its own, not part of the API, so it
 * does not take @zhengming/config: this file is the only place it reads the environment.
 */
export interface IdpSimConfig {
  http: { port: number; host: string };
  /** Undefined when the port is 0: the issuer is then http://localhost:<the port actually bound>. */
  issuer: string | undefined;
  client: {
    clientId: string;
    clientSecret: string;
    redirectUris: string[];
    postLogoutRedirectUris: string[];
  };
  people: {
    file: string;
    /** The one test password every seeded person signs in with. */
    password: string;
  };
}

export const BUNDLED_PEOPLE_FILE = join(__dirname, 'people.synthetic.json');

/** Variables whose values never appear in an error message. */
const SECRET_VARIABLES = new Set(['IDP_SIM_CLIENT_SECRET', 'IDP_SIM_PASSWORD']);

const port = z.coerce.number().int().min(0).max(65535);

const httpUrl = z.url({ protocol: /^https?$/ });

/** OAuth forbids fragments in redirect URIs (RFC 6749 §3.1.2). */
const redirectUri = httpUrl.refine((value) => !value.includes('#'), 'must not contain a fragment (#)');

/** A comma-separated list of redirect URIs, at least one. */
const redirectUriList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  )
  .pipe(z.array(redirectUri).min(1, 'must list at least one URL'));

/** The provider answers at the root of its origin, so an issuer with a path would advertise wrong endpoints. */
const issuer = httpUrl
  .refine((value) => {
    const url = new URL(value);
    return url.pathname === '/' && url.search === '' && url.hash === '';
  }, 'must be an origin such as http://localhost:3001, without a path, query or fragment')
  .transform((value) => value.replace(/\/+$/, ''));

export const idpSimEnvironmentSchema = z.object({
  IDP_SIM_PORT: port.default(3001),
  IDP_SIM_HOST: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]).default('0.0.0.0'),
  IDP_SIM_ISSUER: issuer.optional(),
  IDP_SIM_CLIENT_ID: z
    .string()
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .default('zhengming'),
  IDP_SIM_CLIENT_SECRET: z.string().min(16, 'must be at least 16 characters'),
  IDP_SIM_REDIRECT_URIS: redirectUriList,
  IDP_SIM_POST_LOGOUT_REDIRECT_URIS: redirectUriList.optional(),
  IDP_SIM_PASSWORD: z.string().min(8, 'must be at least 8 characters'),
  IDP_SIM_PEOPLE_FILE: z.string().min(1).optional(),
});

/** Pure: reads only the record it is given. Empty variables count as unset. */
export function loadIdpSimConfig(env: Record<string, string | undefined>): IdpSimConfig {
  const e = parseSimEnvironment('idp-sim', idpSimEnvironmentSchema, env, SECRET_VARIABLES);
  return {
    http: { port: e.IDP_SIM_PORT, host: e.IDP_SIM_HOST },
    issuer: e.IDP_SIM_ISSUER ?? (e.IDP_SIM_PORT === 0 ? undefined : `http://localhost:${e.IDP_SIM_PORT}`),
    client: {
      clientId: e.IDP_SIM_CLIENT_ID,
      clientSecret: e.IDP_SIM_CLIENT_SECRET,
      redirectUris: e.IDP_SIM_REDIRECT_URIS,
      postLogoutRedirectUris: e.IDP_SIM_POST_LOGOUT_REDIRECT_URIS ?? [],
    },
    people: { file: e.IDP_SIM_PEOPLE_FILE ?? BUNDLED_PEOPLE_FILE, password: e.IDP_SIM_PASSWORD },
  };
}

/** For the entry point: the configuration, or the problems on stderr and exit code 78 (EX_CONFIG). */
export function loadIdpSimConfigOrExit(
  // eslint-disable-next-line no-restricted-properties -- the simulator is its own app; this is its one config reader
  env: Record<string, string | undefined> = process.env,
): IdpSimConfig {
  return configOrExit(() => loadIdpSimConfig(env));
}
