import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig, Public } from '@charlotte/core';
import { CurrentPrincipal, LoginThrottle, Principal } from '../guards/principal';
import { SESSION_COOKIE } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { AcceptInvitationDto, AcceptInvitationResult, LoginDto, LoginResult, ProblemView, SessionView } from './dto/login.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @LoginThrottle()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Password step of the login.' })
  @ApiOkResponse({ type: LoginResult })
  @ApiResponse({ status: 401, type: ProblemView, description: 'invalid_credentials' })
  @ApiResponse({ status: 423, type: ProblemView, description: 'account_locked' })
  @ApiResponse({ status: 429, type: ProblemView, description: 'rate_limited' })
  async login(@Body() dto: LoginDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResult> {
    const out = await this.auth.login(dto, req.ip, req.header('user-agent'));
    res.cookie(SESSION_COOKIE, out.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.config.cookieSecure,
      path: '/',
      expires: out.expiresAt,
    });
    return out.view;
  }

  @Get('session')
  @ApiCookieAuth()
  @ApiOkResponse({ type: SessionView })
  @ApiResponse({ status: 401, type: ProblemView })
  session(@CurrentPrincipal() p: Principal): Promise<SessionView> {
    return this.auth.sessionView(p.userId, p.tenantId, p.csrfToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiCookieAuth()
  async logout(@CurrentPrincipal() p: Principal, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(p.sessionId);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: this.config.cookieSecure, path: '/' });
  }

  @Public()
  @LoginThrottle()
  @Post('invitations/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sets the password of an invited user from the one-time link.' })
  @ApiOkResponse({ type: AcceptInvitationResult })
  async acceptInvitation(@Body() dto: AcceptInvitationDto): Promise<AcceptInvitationResult> {
    const user = await this.users.acceptInvitation(dto.token, dto.password);
    const view = await this.auth.sessionView(user.id, user.tenantId, '');
    return { ok: true, tenant: view.tenant ? { code: view.tenant.code, name: view.tenant.name } : null, email: user.email };
  }
}
