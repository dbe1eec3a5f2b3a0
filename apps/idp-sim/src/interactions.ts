import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type Interaction, type Provider } from 'oidc-provider';
import { loginPage, messagePage, MESSAGES } from './html-pages';
import { LoginThrottle } from './login-throttle';
import { PeopleDirectory } from './people-directory';
import { acrFor, SCOPES } from './provider-configuration';

export interface InteractionContext {
  provider: Provider;
  people: PeopleDirectory;
  throttle: LoginThrottle;
  /** The test password every seeded person shares. */
  password: string;
  /** The relying party the platform trusts enough to skip the consent screen. */
  firstPartyClientId: string;
}

const FORM_LIMIT_BYTES = 8 * 1024;

/** GET /interaction/:uid — the sign-in form, or an automatic consent for the first-party client. */
export async function showInteraction(
  context: InteractionContext,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
): Promise<void> {
  const interaction = await findInteraction(context, req, res, uid);
  if (!interaction) return;
  switch (interaction.prompt.name) {
    case 'login':
      return sendHtml(res, 200, loginPage(await loginPageModel(context, interaction)));
    case 'consent':
      // Reached when a signed-in person's client asks for more than it was granted before.
      return grantConsent(context, req, res, interaction);
    default:
      return sendHtml(res, 400, messagePage(MESSAGES.badRequest));
  }
}

/** POST /interaction/:uid/login — fields `username` and `password`, application/x-www-form-urlencoded. */
export async function submitLogin(
  context: InteractionContext,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
): Promise<void> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    return sendHtml(res, 415, messagePage(MESSAGES.badRequest));
  }
  const form = await readForm(req);
  if (!form) return sendHtml(res, 413, messagePage(MESSAGES.badRequest));

  const interaction = await findInteraction(context, req, res, uid);
  if (!interaction) return;
  if (interaction.prompt.name !== 'login') return sendHtml(res, 400, messagePage(MESSAGES.interactionExpired));

  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  const model = { ...(await loginPageModel(context, interaction)), username };

  const verdict = context.throttle.check(username);
  if (!verdict.allowed) {
    res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
    const minutes = Math.ceil(verdict.retryAfterSeconds / 60);
    return sendHtml(res, 429, loginPage({ ...model, error: MESSAGES.tooManyAttempts(minutes) }));
  }

  const person = context.people.findByUsername(username);
  // Compared whether or not the person exists, so an unknown username costs the same time as a known one.
  const passwordMatches = sameSecret(password, context.password);
  if (!person || !passwordMatches) {
    context.throttle.recordFailure(username);
    return sendHtml(res, 401, loginPage({ ...model, error: MESSAGES.wrongCredentials }));
  }
  context.throttle.recordSuccess(username);

  const login = { accountId: person.subject, acr: acrFor(person.assuranceLevel), amr: ['pwd'] };
  const clientId = String(interaction.params.client_id);
  if (clientId !== context.firstPartyClientId) {
    return context.provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  }
  // Consent is part of signing in: the platform trusts its first-party client with every scope it asked
  // for, so the browser goes straight back to the client with a code.
  const grant = new context.provider.Grant({ accountId: person.subject, clientId });
  grant.addOIDCScope(requestedScopes(interaction).join(' '));
  const grantId = await grant.save();
  await context.provider.interactionFinished(
    req,
    res,
    { login, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

function requestedScopes(interaction: Interaction): string[] {
  const requested = String(interaction.params.scope ?? '').split(' ');
  return SCOPES.filter((scope) => requested.includes(scope));
}

async function grantConsent(
  context: InteractionContext,
  req: IncomingMessage,
  res: ServerResponse,
  interaction: Interaction,
): Promise<void> {
  const clientId = String(interaction.params.client_id);
  const accountId = interaction.session?.accountId;
  if (clientId !== context.firstPartyClientId || !accountId) {
    return sendHtml(res, 400, messagePage(MESSAGES.badRequest));
  }
  const existing = interaction.grantId ? await context.provider.Grant.find(interaction.grantId) : undefined;
  const grant = existing ?? new context.provider.Grant({ accountId, clientId });
  const details = interaction.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  await context.provider.interactionFinished(
    req,
    res,
    { consent: existing ? {} : { grantId } },
    { mergeWithLastSubmission: true },
  );
}

/** The interaction the browser's cookie names, if it is the one in the URL and still alive. */
async function findInteraction(
  context: InteractionContext,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
): Promise<Interaction | undefined> {
  try {
    const interaction = await context.provider.interactionDetails(req, res);
    if (interaction.uid === uid) return interaction;
  } catch (error) {
    if (!(error instanceof errors.SessionNotFound)) throw error;
  }
  sendHtml(res, 400, messagePage(MESSAGES.interactionExpired));
  return undefined;
}

async function loginPageModel(
  context: InteractionContext,
  interaction: Interaction,
): Promise<{ action: string; clientName: string }> {
  const clientId = String(interaction.params.client_id);
  const client = await context.provider.Client.find(clientId);
  return {
    action: `/interaction/${encodeURIComponent(interaction.uid)}/login`,
    clientName: client?.clientName ?? clientId,
  };
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The form fields, or undefined when the body is larger than a sign-in form can be. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > FORM_LIMIT_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // No form-action: browsers apply it to the redirect after the sign-in form, which leaves for the client.
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  );
  res.end(html);
}
