import { resolve } from 'node:path';
import { DEFAULT_POLICY, loadTsaSimConfig } from './tsa-sim.config';
import { SimConfigError } from '@zhengming/sim-kit';

const FILES = { TSA_SIM_KEY_FILE: 'pki/tsa.key', TSA_SIM_CERT_FILE: 'pki/tsa.pem' };

function problemsOf(env: Record<string, string | undefined>): SimConfigError {
  try {
    loadTsaSimConfig(env);
  } catch (error) {
    if (error instanceof SimConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe(loadTsaSimConfig.name, () => {
  it('starts on 127.0.0.1:3003 under the documentation policy when given only the key and certificate', () => {
    expect(loadTsaSimConfig(FILES)).toEqual({
      http: { port: 3003, host: '127.0.0.1' },
      files: { key: resolve('pki/tsa.key'), certificate: resolve('pki/tsa.pem'), chain: null },
      policy: '1.3.6.1.4.1.32473.1.1',
    });
    expect(DEFAULT_POLICY).toBe('1.3.6.1.4.1.32473.1.1');
  });

  it('takes every variable from the environment', () => {
    expect(
      loadTsaSimConfig({
        ...FILES,
        TSA_SIM_PORT: '0',
        TSA_SIM_HOST: '::1',
        TSA_SIM_CHAIN_FILE: '/srv/pki/chain.pem',
        TSA_SIM_POLICY: '2.25.1234',
        TSA_SIM_UNRELATED: 'ignored',
      }),
    ).toEqual({
      http: { port: 0, host: '::1' },
      files: { key: resolve('pki/tsa.key'), certificate: resolve('pki/tsa.pem'), chain: '/srv/pki/chain.pem' },
      policy: '2.25.1234',
    });
  });

  it('counts empty variables as unset', () => {
    expect(loadTsaSimConfig({ ...FILES, TSA_SIM_PORT: '', TSA_SIM_CHAIN_FILE: '' })).toMatchObject({
      http: { port: 3003 },
      files: { chain: null },
    });
  });

  it('names every wrong variable', () => {
    const error = problemsOf({ TSA_SIM_PORT: '70000', TSA_SIM_HOST: 'tsa.example.test', TSA_SIM_POLICY: '1.3.6.01' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'TSA_SIM_CERT_FILE',
      'TSA_SIM_HOST',
      'TSA_SIM_KEY_FILE',
      'TSA_SIM_POLICY',
      'TSA_SIM_PORT',
    ]);
    expect(error.message).toContain('(got "1.3.6.01")');
  });

  it('requires the key and the certificate', () => {
    expect(problemsOf({}).problems).toEqual([
      { variable: 'TSA_SIM_KEY_FILE', message: 'is required: the path of a PEM file' },
      { variable: 'TSA_SIM_CERT_FILE', message: 'is required: the path of a PEM file' },
    ]);
  });

  it.each(['1', '3.1', '1.40', '1.3.', 'policy'])('refuses the policy %s', (policy) => {
    expect(problemsOf({ ...FILES, TSA_SIM_POLICY: policy }).problems.map((p) => p.variable)).toEqual([
      'TSA_SIM_POLICY',
    ]);
  });
});
