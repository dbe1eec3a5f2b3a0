import type { FastifyReply } from 'fastify';
import type { SessionTokens } from '@zhengming/identity';

export const ACCESS_COOKIE = 'zm_at';
export const REFRESH_COOKIE = 'zm_rt';
export const LOGIN_COOKIE = 'zm_login';

/** Refresh cookies travel only to the auth routes; access cookies to the whole API. */
const REFRESH_PATH = '/api/auth';

export function setSessionCookies(reply: FastifyReply, tokens: SessionTokens, secure: boolean): void {
  void reply.setCookie(ACCESS_COOKIE, tokens.accessToken, {
    httpOnly: true,
    secure,
    sameSite: 'lax',
    path: '/',
    expires: tokens.accessExpiresAt,
  });
  void reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    httpOnly: true,
    secure,
    sameSite: 'strict',
    path: REFRESH_PATH,
    expires: tokens.refreshExpiresAt,
  });
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(ACCESS_COOKIE, { path: '/', httpOnly: true, secure, sameSite: 'lax' });
  void reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_PATH, httpOnly: true, secure, sameSite: 'strict' });
}
