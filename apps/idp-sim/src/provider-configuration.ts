import type { Account, AccountClaims, Configuration, JWK } from 'oidc-provider';
import type { IdpSimConfig } from './idp-sim.config';
import { loggedOutPage, logoutPage, providerErrorPage } from './html-pages';
import type { PeopleDirectory, Person } from './people-directory';

/**
 * Scope → claims it releases. `real_name` is the platform's own: the verified identity. `acr` and `amr`
 * come with `openid` so that every ID token says how strongly the person was identified, asked for
 * (acr_values) or not; the library releases them only when requested otherwise.
 */
export const SCOPE_CLAIMS = {
  openid: ['sub', 'acr', 'amr'],
  profile: ['name', 'preferred_username'],
  phone: ['phone_number', 'phone_number_verified'],
  real_name: ['id_number', 'assurance_level'],
} as const;

export const SCOPES = Object.keys(SCOPE_CLAIMS);

export const ASSURANCE_LEVELS = [1, 2, 3, 4] as const;

/** The `acr` value for a level of assurance: how strongly the person's identity was proven. */
export function acrFor(assuranceLevel: number): string {
  return `urn:zhengming:loa:${assuranceLevel}`;
}

/** Every claim the platform holds about a person; the provider releases those the grant covers. */
export function claimsOf(person: Person): AccountClaims {
  return {
    sub: person.subject,
    name: person.name,
    preferred_username: person.username,
    phone_number: person.phone,
    phone_number_verified: true,
    id_number: person.idNumber,
    assurance_level: person.assuranceLevel,
    // The ID token takes the session's acr; userinfo repeats it from here.
    acr: acrFor(person.assuranceLevel),
  };
}

export interface ProviderSetup {
  config: IdpSimConfig;
  people: PeopleDirectory;
  /** Private signing keys, generated at start-up. */
  signingKeys: JWK[];
  /** Keys for the signed cookies, generated at start-up. */
  cookieKeys: string[];
}

export function providerConfiguration({ config, people, signingKeys, cookieKeys }: ProviderSetup): Configuration {
  const { client } = config;
  return {
    // No adapter: the library's in-memory one. Sessions, codes and tokens die with the process, which suits
    // a simulator; the library warns about it on stderr at start-up.
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        client_name: '正明 · 电子证明服务系统',
        redirect_uris: client.redirectUris,
        post_logout_redirect_uris: client.postLogoutRedirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        // client_secret_post is accepted too: the library treats the two secret methods alike.
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    pkce: { required: () => true },
    scopes: SCOPES,
    claims: { auth_time: null, iss: null, sid: null, ...SCOPE_CLAIMS },
    // Scope-requested claims go into the ID token too, so the client has them without calling userinfo.
    conformIdTokenClaims: false,
    acrValues: ASSURANCE_LEVELS.map(acrFor),
    async findAccount(_ctx, subject): Promise<Account | undefined> {
      const person = people.findBySubject(subject);
      if (!person) return undefined;
      return { accountId: person.subject, claims: () => claimsOf(person) };
    },
    jwks: { keys: signingKeys },
    cookies: { keys: cookieKeys },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = loggedOutPage();
        },
      },
    },
    // Only the relying party's back end talks to the token and userinfo endpoints: no browser origin needs CORS.
    clientBasedCORS: () => false,
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = providerErrorPage(out.error, out.error_description);
    },
    ttl: {
      AccessToken: 10 * 60,
      AuthorizationCode: 60,
      IdToken: 10 * 60,
      Interaction: 10 * 60,
      Session: 60 * 60,
      Grant: 60 * 60,
    },
  };
}
