import { resolve } from 'node:path';
import { loadPowerGridSimConfig } from './power-grid-sim.config';
import { SimConfigError } from '@zhengming/sim-kit';

const SECRET = 'a-hmac-secret-of-32-characters!!';

function problemsOf(env: Record<string, string | undefined>): SimConfigError {
  try {
    loadPowerGridSimConfig(env);
  } catch (error) {
    if (error instanceof SimConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe(loadPowerGridSimConfig.name, () => {
  it('starts on 127.0.0.1:3002 with the file under ./data and no faults when given only the secret', () => {
    expect(loadPowerGridSimConfig({ POWER_GRID_HMAC_SECRET: SECRET })).toEqual({
      http: { port: 3002, host: '127.0.0.1' },
      hmacSecret: SECRET,
      dataFile: resolve('data/power-grid-sim/records.jsonl'),
      faults: { errorRate: 0, latencyMs: 0, slowRate: 0, slowMs: 30_000 },
    });
  });

  it('takes every variable from the environment, and "memory" for no file', () => {
    const sut = loadPowerGridSimConfig({
      POWER_GRID_HMAC_SECRET: SECRET,
      POWER_GRID_SIM_PORT: '0',
      POWER_GRID_SIM_HOST: '0.0.0.0',
      POWER_GRID_SIM_DATA: 'memory',
      POWER_GRID_SIM_ERROR_RATE: '0.25',
      POWER_GRID_SIM_LATENCY_MS: '150',
      POWER_GRID_SIM_SLOW_RATE: '1',
      POWER_GRID_SIM_SLOW_MS: '45000',
      POWER_GRID_SIM_UNRELATED: 'ignored',
    });
    expect(sut).toEqual({
      http: { port: 0, host: '0.0.0.0' },
      hmacSecret: SECRET,
      dataFile: null,
      faults: { errorRate: 0.25, latencyMs: 150, slowRate: 1, slowMs: 45_000 },
    });
    expect(
      loadPowerGridSimConfig({ POWER_GRID_HMAC_SECRET: SECRET, POWER_GRID_SIM_DATA: '/srv/r.jsonl' }).dataFile,
    ).toBe('/srv/r.jsonl');
  });

  it('counts empty variables as unset', () => {
    expect(loadPowerGridSimConfig({ POWER_GRID_HMAC_SECRET: SECRET, POWER_GRID_SIM_PORT: '' }).http.port).toBe(3002);
  });

  it('names every wrong variable, without showing the secret', () => {
    const error = problemsOf({
      POWER_GRID_HMAC_SECRET: 'too-short',
      POWER_GRID_SIM_PORT: '70000',
      POWER_GRID_SIM_ERROR_RATE: '1.5',
      POWER_GRID_SIM_SLOW_RATE: 'often',
      POWER_GRID_SIM_LATENCY_MS: '-1',
      POWER_GRID_SIM_SLOW_MS: '2.5',
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'POWER_GRID_HMAC_SECRET',
      'POWER_GRID_SIM_ERROR_RATE',
      'POWER_GRID_SIM_LATENCY_MS',
      'POWER_GRID_SIM_PORT',
      'POWER_GRID_SIM_SLOW_MS',
      'POWER_GRID_SIM_SLOW_RATE',
    ]);
    expect(error.message).toContain('(got "1.5")');
    expect(error.message).not.toContain('too-short');
  });

  it('requires the secret', () => {
    expect(problemsOf({}).problems).toEqual([{ variable: 'POWER_GRID_HMAC_SECRET', message: expect.any(String) }]);
  });
});
