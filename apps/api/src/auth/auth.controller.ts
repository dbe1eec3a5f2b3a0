import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUTH_CONFIG, type AuthConfig } from '@zhengming/config';
import { DomainException } from '@zhengming/domain-errors';
import {
  IdentityErrorCode,
  IdentityException,
  SessionsService,
  type PersonPrincipal,
  type SessionTokens,
} from '@zhengming/identity';
import { Access, CurrentPerson } from './access';
import { CallbackQuery, LoginQuery, RefreshBody, TokensDto } from './auth.dto';
import { clearSessionCookies, LOGIN_COOKIE, REFRESH_COOKIE, setSessionCookies } from './cookies';
import { LoginService } from './login.service';
import { RateLimits } from './rate-limits';
import { AuditLog } from '@zhengming/audit';
import { NoQuery } from '../http/no-query.dto';

const LOGIN_COOKIE_OPTIONS = { httpOnly: true, sameSite: 'lax' as const, path: '/api/auth', maxAge: 600 };

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly login: LoginService,
    private readonly sessions: SessionsService,
    private readonly limits: RateLimits,
    private readonly audit: AuditLog,
  ) {}

  @Get('login')
  @Access.public()
  @ApiOperation({ summary: '通过可信认证平台登录（跳转）' })
  async start(@Query() query: LoginQuery, @Res() reply: FastifyReply): Promise<void> {
    const { redirectTo, state } = await this.login.start(query.returnTo);
    void reply.setCookie(LOGIN_COOKIE, state, { ...LOGIN_COOKIE_OPTIONS, secure: this.config.secureCookies });
    void reply.redirect(redirectTo, 302);
  }

  @Get('callback')
  @Access.public()
  @ApiOperation({ summary: '可信认证平台回调：建立会话并返回原页面' })
  async callback(@Query() _query: CallbackQuery, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    void reply.clearCookie(LOGIN_COOKIE, { path: LOGIN_COOKIE_OPTIONS.path });
    try {
      await this.limits.assertMayAuthenticate(request.ip);
      const callbackUrl = new URL(this.config.oidc.redirectUri);
      callbackUrl.search = request.url.split('?')[1] ?? '';
      const { tokens, returnTo } = await this.login.finish(callbackUrl, request.cookies[LOGIN_COOKIE], request.id);
      setSessionCookies(reply, tokens, this.config.secureCookies);
      void reply.redirect(returnTo, 302);
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      if (error.code !== IdentityErrorCode.RateLimited) {
        await this.limits.recordRefusal(request.ip, error.code);
        await this.login.recordFailure(error.code, request.id);
      }
      // A browser goes back to the sign-in page with the reason; a script gets the coded answer.
      if (request.headers.accept?.includes('text/html')) {
        void reply.redirect(`/login?error=${encodeURIComponent(error.code)}`, 302);
        return;
      }
      throw error;
    }
  }

  @Post('refresh')
  @HttpCode(200)
  @Access.public()
  @ApiOperation({ summary: '用刷新令牌换取新的访问令牌（令牌轮换）' })
  @ApiOkResponse({ type: TokensDto })
  async refresh(
    @Body() body: RefreshBody,
    @Query(NoQuery) _query: object,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokensDto> {
    await this.limits.assertMayAuthenticate(request.ip);
    const presented = body?.refreshToken ?? request.cookies[REFRESH_COOKIE];
    if (!presented) throw new IdentityException(IdentityErrorCode.AuthRequired);
    let tokens: SessionTokens;
    try {
      tokens = await this.sessions.refresh(presented);
    } catch (error) {
      if (error instanceof IdentityException) await this.limits.recordRefusal(request.ip, error.code);
      throw error;
    }
    if (body?.refreshToken) {
      return {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        accessExpiresAt: tokens.accessExpiresAt.toISOString(),
        refreshExpiresAt: tokens.refreshExpiresAt.toISOString(),
      };
    }
    setSessionCookies(reply, tokens, this.config.secureCookies);
    return { accessExpiresAt: tokens.accessExpiresAt.toISOString() };
  }

  @Post('logout')
  @HttpCode(204)
  @Access.signedIn()
  @ApiOperation({ summary: '退出登录（吊销当前会话）' })
  @ApiNoContentResponse()
  async logout(
    @CurrentPerson() principal: PersonPrincipal,
    @Query(NoQuery) _query: object,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.sessions.close(principal.sessionId);
    await this.audit.append({
      actor: { type: 'person', id: principal.personId },
      action: 'auth.logout',
      object: { type: 'session', id: principal.sessionId },
      requestId: request.id,
    });
    clearSessionCookies(reply, this.config.secureCookies);
  }
}
