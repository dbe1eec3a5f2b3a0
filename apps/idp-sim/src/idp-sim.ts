import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { Provider, type JWK } from 'oidc-provider';
import { indexPage, messagePage, MESSAGES } from './html-pages';
import type { IdpSimConfig } from './idp-sim.config';
import { sendHtml, showInteraction, submitLogin, type InteractionContext } from './interactions';
import { writeJsonLine, type Log } from '@zhengming/sim-kit';
import { LoginThrottle } from './login-throttle';
import { PeopleDirectory } from './people-directory';
import { providerConfiguration } from './provider-configuration';

export interface RunningIdpSim {
  /** The issuer, which is also the base URL of every endpoint. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface IdpSimOptions {
  log?: Log;
}

const MAX_FAILED_LOGINS = 5;
const FAILED_LOGIN_WINDOW_MS = 10 * 60 * 1000;

const INTERACTION = /^\/interaction\/([\w-]+)$/;
const INTERACTION_LOGIN = /^\/interaction\/([\w-]+)\/login$/;

/**
 * Starts the simulated trusted identity platform: an OpenID Connect provider (oidc-provider) with a
 * password sign-in page. Signing and cookie keys are made afresh at every start and live only in memory.
 */
export async function startIdpSim(config: IdpSimConfig, options: IdpSimOptions = {}): Promise<RunningIdpSim> {
  const log = options.log ?? writeJsonLine;
  const people = PeopleDirectory.fromFile(config.people.file);
  const signingKey = await generateSigningKey();
  const cookieKeys = [randomBytes(32).toString('base64url')];

  // The issuer may depend on the port actually bound (port 0), so the provider is made after listen.
  let route: RequestListener | undefined;
  const server = createServer((req, res) => {
    const started = performance.now();
    // 'close' rather than 'finish': a request the browser gave up on is logged too.
    res.once('close', () =>
      log({
        level: 'info',
        msg: 'request',
        method: req.method,
        // Never the query string: it carries authorization codes, states and hints.
        path: (req.url ?? '').split('?')[0],
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      }),
    );
    if (!route) return sendHtml(res, 503, messagePage(MESSAGES.badRequest));
    route(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.port, config.http.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });

  try {
    const port = (server.address() as AddressInfo).port;
    const issuer = config.issuer ?? `http://localhost:${port}`;
    const provider = new Provider(
      issuer,
      providerConfiguration({ config, people, signingKeys: [signingKey], cookieKeys }),
    );
    provider.on('server_error', (_ctx, error: Error) =>
      log({ level: 'error', msg: 'provider error', error: error.message }),
    );
    const context: InteractionContext = {
      provider,
      people,
      throttle: new LoginThrottle({ maxFailures: MAX_FAILED_LOGINS, windowMs: FAILED_LOGIN_WINDOW_MS }),
      password: config.people.password,
      firstPartyClientId: config.client.clientId,
    };
    route = router(context, issuer, provider.callback(), log);
    return { url: issuer, port, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function router(context: InteractionContext, issuer: string, oidc: RequestListener, log: Log): RequestListener {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    if (path === '/healthz' && method === 'GET') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ status: 'ok' }));
      return;
    }
    if (path === '/' && method === 'GET') return sendHtml(res, 200, indexPage(issuer, context.people.people));
    const interaction = INTERACTION.exec(path);
    if (interaction && method === 'GET') return showInteraction(context, req, res, interaction[1]);
    const login = INTERACTION_LOGIN.exec(path);
    if (login && method === 'POST') return submitLogin(context, req, res, login[1]);
    if (path.startsWith('/interaction/')) return sendHtml(res, 404, messagePage(MESSAGES.badRequest));
    return oidc(req, res);
  };
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log({ level: 'error', msg: 'request failed', error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) sendHtml(res, 500, messagePage(MESSAGES.errorTitle));
      else res.end();
    });
  };
}

async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' } as JWK;
}
