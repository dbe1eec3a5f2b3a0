import { resolve } from 'node:path';
import { z } from 'zod';
import { configOrExit, parseSimEnvironment } from '@zhengming/sim-kit';

/**
 * Configuration of the time-stamping authority simulator. It is an app of its own, not part of the API,
 * so it does not take @zhengming/config: this file is the only place it reads the environment.
 */
export interface TsaSimConfig {
  /** Port 0 picks a free port; the one actually bound is in the running simulator's `port`. */
  http: { port: number; host: string };
  /** Absolute paths of the PEM files. */
  files: {
    /** The TSA's private key, PKCS#8 (EC P-256 or RSA of at least 2048 bits), unencrypted. */
    key: string;
    /** The TSA certificate: extendedKeyUsage timeStamping alone, critical (RFC 3161 §2.3). */
    certificate: string;
    /** The issuing CA certificates, put in the token after the TSA certificate when certReq is set. */
    chain: string | null;
  };
  /** The TSA policy every token is issued under (TSTInfo.policy), a dotted OID. */
  policy: string;
}

/**
 * 1.3.6.1.4.1.32473 is the private enterprise number IANA reserves for documentation and examples
 * (RFC 5612): no real policy can be mistaken for this one, and no real organisation owns the arc.
 */
export const DEFAULT_POLICY = '1.3.6.1.4.1.32473.1.1';

const port = z.coerce.number().int().min(0).max(65535);

/** Dotted decimal OID (X.660): at least two arcs, no leading zeros, the second below 40 under arcs 0 and 1. */
export const dottedOid = z
  .string()
  .regex(
    /^(?:[01]\.(?:[0-9]|[1-3][0-9])|2\.(?:0|[1-9][0-9]*))(?:\.(?:0|[1-9][0-9]*))*$/,
    'must be a dotted OID such as 1.3.6.1.4.1.32473.1.1',
  );

export const tsaSimEnvironmentSchema = z.object({
  TSA_SIM_PORT: port.default(3003),
  TSA_SIM_HOST: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]).default('127.0.0.1'),
  TSA_SIM_KEY_FILE: z.string({ error: 'is required: the path of a PEM file' }),
  TSA_SIM_CERT_FILE: z.string({ error: 'is required: the path of a PEM file' }),
  TSA_SIM_CHAIN_FILE: z.string().min(1).optional(),
  TSA_SIM_POLICY: dottedOid.default(DEFAULT_POLICY),
});

/**
 * Pure but for resolving relative paths against the working directory. Empty variables count as unset.
 * The files are read (and checked) when the simulator starts.
 */
export function loadTsaSimConfig(env: Record<string, string | undefined>): TsaSimConfig {
  const e = parseSimEnvironment('tsa-sim', tsaSimEnvironmentSchema, env);
  return {
    http: { port: e.TSA_SIM_PORT, host: e.TSA_SIM_HOST },
    files: {
      key: resolve(e.TSA_SIM_KEY_FILE),
      certificate: resolve(e.TSA_SIM_CERT_FILE),
      chain: e.TSA_SIM_CHAIN_FILE === undefined ? null : resolve(e.TSA_SIM_CHAIN_FILE),
    },
    policy: e.TSA_SIM_POLICY,
  };
}

/** For the entry point: the configuration, or the problems on stderr and exit code 78 (EX_CONFIG). */
export function loadTsaSimConfigOrExit(
  // eslint-disable-next-line no-restricted-properties -- the simulator is its own app; this is its one config reader
  env: Record<string, string | undefined> = process.env,
): TsaSimConfig {
  return configOrExit(() => loadTsaSimConfig(env));
}
