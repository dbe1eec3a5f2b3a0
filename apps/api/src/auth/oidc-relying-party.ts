import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { AUTH_CONFIG, type AuthConfig } from '@zhengming/config';
import { IdentityErrorCode, IdentityException, type PlatformIdentity } from '@zhengming/identity';

/** What the callback needs from the sign-in request it answers. */
export interface PendingLogin {
  state: string;
  codeVerifier: string;
  nonce: string;
}

/**
 * The API as a relying party of the identity platform: authorization-code flow with PKCE (S256),
 * state and nonce, the ID token checked by openid-client. The provider's metadata is discovered on
 * first use and re-discovered after a failure, so the API may start before the platform does.
 */
@Injectable()
export class OidcRelyingParty {
  private readonly logger = new Logger(OidcRelyingParty.name);
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {}

  get issuer(): string {
    return this.config.oidc.issuer;
  }

  async authorizationUrl(): Promise<{ url: URL; pending: PendingLogin }> {
    const configuration = await this.discover();
    const pending = {
      state: oidc.randomState(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      nonce: oidc.randomNonce(),
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.config.oidc.redirectUri,
      scope: this.config.oidc.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /** Exchanges the code and returns the person the platform vouches for. */
  async complete(callbackUrl: URL, pending: PendingLogin): Promise<PlatformIdentity> {
    const configuration = await this.discover();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (error) {
      this.logger.warn({ reason: describe(error) }, 'sign-in callback refused');
      throw new IdentityException(IdentityErrorCode.LoginFailed);
    }
    if (!claims) throw new IdentityException(IdentityErrorCode.LoginFailed);
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    return {
      issuer: this.config.oidc.issuer,
      subject: claims.sub,
      name: text(claims.name),
      idNumber: text(claims.id_number),
      phone: text(claims.phone_number) || null,
      assuranceLevel: Number(claims.assurance_level ?? 0) || 0,
    };
  }

  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= oidc
      .discovery(
        new URL(this.config.oidc.issuer),
        this.config.oidc.clientId,
        undefined,
        oidc.ClientSecretBasic(this.config.oidc.clientSecret),
        // A plain-http issuer is only ever the local simulator; production issuers are https.
        this.config.oidc.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        this.configuration = undefined;
        this.logger.warn({ reason: describe(error) }, 'identity platform discovery failed');
        throw new IdentityException(IdentityErrorCode.ProviderUnavailable);
      });
    return this.configuration;
  }
}

export function stateHash(state: string): string {
  return createHash('sha256').update(state).digest('hex');
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
