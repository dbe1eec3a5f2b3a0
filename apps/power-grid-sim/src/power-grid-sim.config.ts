import { resolve } from 'node:path';
import { z } from 'zod';
import { configOrExit, parseSimEnvironment } from '@zhengming/sim-kit';
import { delayMs, NO_FAULTS, rate, type Faults } from './faults';

/**
 * Configuration of the power-supply company's business system simulator (供电业务系统). It is an app of its
 * own, not part of the API, so it does not take @zhengming/config: this file is the only place it reads the
 * environment.
 */
export interface PowerGridSimConfig {
  /** Port 0 picks a free port; the one actually bound is in the running simulator's `port`. */
  http: { port: number; host: string };
  /** The shared secret of the delivery signature (HMAC-SHA256). */
  hmacSecret: string;
  /** Absolute path of the JSON-lines record file, or null to keep records in memory only. */
  dataFile: string | null;
  /** The faults at start, and the ones POST /control/reset goes back to. */
  faults: Faults;
}

export const DEFAULT_DATA_FILE = './data/power-grid-sim/records.jsonl';
/** POWER_GRID_SIM_DATA value that keeps the records in memory. */
export const MEMORY_ONLY = 'memory';

/** Variables whose values never appear in an error message. */
const SECRET_VARIABLES = new Set(['POWER_GRID_HMAC_SECRET']);

const port = z.coerce.number().int().min(0).max(65535);

export const powerGridSimEnvironmentSchema = z.object({
  POWER_GRID_SIM_PORT: port.default(3002),
  POWER_GRID_SIM_HOST: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]).default('127.0.0.1'),
  POWER_GRID_HMAC_SECRET: z.string().min(16, 'must be at least 16 characters'),
  POWER_GRID_SIM_DATA: z.string().min(1).default(DEFAULT_DATA_FILE),
  POWER_GRID_SIM_ERROR_RATE: z.coerce.number().pipe(rate).default(NO_FAULTS.errorRate),
  POWER_GRID_SIM_LATENCY_MS: z.coerce.number().pipe(delayMs).default(NO_FAULTS.latencyMs),
  POWER_GRID_SIM_SLOW_RATE: z.coerce.number().pipe(rate).default(NO_FAULTS.slowRate),
  POWER_GRID_SIM_SLOW_MS: z.coerce.number().pipe(delayMs).default(NO_FAULTS.slowMs),
});

/** Pure but for resolving a relative data path against the working directory. Empty variables count as unset. */
export function loadPowerGridSimConfig(env: Record<string, string | undefined>): PowerGridSimConfig {
  const e = parseSimEnvironment('power-grid-sim', powerGridSimEnvironmentSchema, env, SECRET_VARIABLES);
  return {
    http: { port: e.POWER_GRID_SIM_PORT, host: e.POWER_GRID_SIM_HOST },
    hmacSecret: e.POWER_GRID_HMAC_SECRET,
    dataFile: e.POWER_GRID_SIM_DATA === MEMORY_ONLY ? null : resolve(e.POWER_GRID_SIM_DATA),
    faults: {
      errorRate: e.POWER_GRID_SIM_ERROR_RATE,
      latencyMs: e.POWER_GRID_SIM_LATENCY_MS,
      slowRate: e.POWER_GRID_SIM_SLOW_RATE,
      slowMs: e.POWER_GRID_SIM_SLOW_MS,
    },
  };
}

/** For the entry point: the configuration, or the problems on stderr and exit code 78 (EX_CONFIG). */
export function loadPowerGridSimConfigOrExit(
  // eslint-disable-next-line no-restricted-properties -- the simulator is its own app; this is its one config reader
  env: Record<string, string | undefined> = process.env,
): PowerGridSimConfig {
  return configOrExit(() => loadPowerGridSimConfig(env));
}
