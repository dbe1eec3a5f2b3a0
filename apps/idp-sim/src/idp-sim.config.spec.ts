import { BUNDLED_PEOPLE_FILE, loadIdpSimConfig } from './idp-sim.config';
import { SimConfigError } from '@zhengming/sim-kit';

const required = {
  IDP_SIM_CLIENT_SECRET: 'a-client-secret-of-32-characters',
  IDP_SIM_REDIRECT_URIS: 'http://localhost:3000/api/auth/callback',
  IDP_SIM_PASSWORD: 'test-password',
};

function problemsOf(env: Record<string, string | undefined>): SimConfigError {
  try {
    loadIdpSimConfig(env);
  } catch (error) {
    if (error instanceof SimConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe(loadIdpSimConfig.name, () => {
  it('starts on port 3001 for the zhengming client with only the secrets and the redirect URI given', () => {
    const sut = loadIdpSimConfig(required);
    expect(sut).toEqual({
      http: { port: 3001, host: '0.0.0.0' },
      issuer: 'http://localhost:3001',
      client: {
        clientId: 'zhengming',
        clientSecret: 'a-client-secret-of-32-characters',
        redirectUris: ['http://localhost:3000/api/auth/callback'],
        postLogoutRedirectUris: [],
      },
      people: { file: BUNDLED_PEOPLE_FILE, password: 'test-password' },
    });
    expect(BUNDLED_PEOPLE_FILE).toMatch(/people\.synthetic\.json$/);
  });

  it('derives the issuer from the port and leaves it to the bound port when the port is 0', () => {
    expect(loadIdpSimConfig({ ...required, IDP_SIM_PORT: '4100' }).issuer).toBe('http://localhost:4100');
    expect(loadIdpSimConfig({ ...required, IDP_SIM_PORT: '0' }).issuer).toBeUndefined();
  });

  it('takes every variable from the environment', () => {
    const sut = loadIdpSimConfig({
      ...required,
      IDP_SIM_PORT: '8443',
      IDP_SIM_HOST: '127.0.0.1',
      IDP_SIM_ISSUER: 'https://idp.example.test/',
      IDP_SIM_CLIENT_ID: 'zhengming-staging',
      IDP_SIM_REDIRECT_URIS: 'https://a.example.test/cb, https://b.example.test/cb',
      IDP_SIM_POST_LOGOUT_REDIRECT_URIS: 'https://a.example.test/',
      IDP_SIM_PEOPLE_FILE: '/srv/people.json',
    });
    expect(sut.http).toEqual({ port: 8443, host: '127.0.0.1' });
    expect(sut.issuer).toBe('https://idp.example.test');
    expect(sut.client).toMatchObject({
      clientId: 'zhengming-staging',
      redirectUris: ['https://a.example.test/cb', 'https://b.example.test/cb'],
      postLogoutRedirectUris: ['https://a.example.test/'],
    });
    expect(sut.people.file).toBe('/srv/people.json');
  });

  it('treats empty variables as unset', () => {
    expect(loadIdpSimConfig({ ...required, IDP_SIM_PORT: '', IDP_SIM_ISSUER: '' }).issuer).toBe(
      'http://localhost:3001',
    );
  });

  it('names every missing required variable', () => {
    const error = problemsOf({});
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'IDP_SIM_CLIENT_SECRET',
      'IDP_SIM_PASSWORD',
      'IDP_SIM_REDIRECT_URIS',
    ]);
    expect(error.message).toMatch(/IDP_SIM_CLIENT_SECRET:/);
  });

  it('refuses short secrets without repeating them', () => {
    const error = problemsOf({ ...required, IDP_SIM_CLIENT_SECRET: 'short-secret', IDP_SIM_PASSWORD: 'pw12345' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['IDP_SIM_CLIENT_SECRET', 'IDP_SIM_PASSWORD']);
    expect(error.message).not.toMatch(/short-secret|pw12345/);
  });

  it('refuses redirect URIs that are relative, not http(s) or carry a fragment', () => {
    for (const uris of ['/callback', 'ftp://host/cb', 'http://localhost/cb#x', 'http://localhost/cb,not a url', ',']) {
      expect(problemsOf({ ...required, IDP_SIM_REDIRECT_URIS: uris }).problems[0].variable).toBe(
        'IDP_SIM_REDIRECT_URIS',
      );
    }
    expect(problemsOf({ ...required, IDP_SIM_POST_LOGOUT_REDIRECT_URIS: 'nowhere' }).problems[0].variable).toBe(
      'IDP_SIM_POST_LOGOUT_REDIRECT_URIS',
    );
  });

  it('refuses an issuer with a path, a port out of range and an unknown host form', () => {
    const error = problemsOf({
      ...required,
      IDP_SIM_ISSUER: 'http://localhost:3001/oidc',
      IDP_SIM_PORT: '70000',
      IDP_SIM_HOST: 'any',
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['IDP_SIM_HOST', 'IDP_SIM_ISSUER', 'IDP_SIM_PORT']);
    expect(error.message).toContain('(got "70000")');
  });
});
