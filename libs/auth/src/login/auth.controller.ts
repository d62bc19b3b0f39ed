import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig, Public } from '@charlotte/core';
import { AuthErrors } from '../errors';
import { CurrentPrincipal, LoginThrottle, Principal } from '../guards/principal';
import { AllowClosedContract } from '../guards/session-auth.guard';
import { PLATFORM_TENANT_CODE } from '../tenants/tenants.service';
import { SESSION_COOKIE, sessionCookieOptions, SessionsService } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import {
  AcceptInvitationDto,
  AcceptInvitationResult,
  EnrollResult,
  EnrollStepDto,
  KeyfileStepDto,
  LoginDto,
  LoginResult,
  PendingStepView,
  ProblemView,
  SessionView,
} from './dto/login.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
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
    this.setCookie(res, out.token, out.expiresAt);
    return out.view as LoginResult;
  }

  @Public()
  @LoginThrottle()
  @Post('keyfile')
  @HttpCode(200)
  @ApiOperation({ summary: 'Key-file step: the ES256 signature over the challenge of the pending login.' })
  @ApiOkResponse({ type: LoginResult })
  @ApiResponse({ status: 401, type: ProblemView, description: 'keyfile_invalid, challenge_expired' })
  async keyfile(@Body() dto: KeyfileStepDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResult> {
    const out = await this.auth.keyfileStep(this.cookieOf(req), dto.keyId, dto.signature, req.ip, req.header('user-agent'));
    this.setCookie(res, out.token, out.expiresAt);
    return out.view as LoginResult;
  }

  @Public()
  @LoginThrottle()
  @Post('keyfile/enroll')
  @HttpCode(200)
  @ApiOperation({ summary: 'First login: registers the public key generated in the browser.' })
  @ApiOkResponse({ type: EnrollResult })
  async enroll(@Body() dto: EnrollStepDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<EnrollResult> {
    const out = await this.auth.enrollStep(
      this.cookieOf(req),
      dto.publicKeyJwk,
      dto.label,
      dto.signature,
      req.ip,
      req.header('user-agent'),
    );
    this.setCookie(res, out.token, out.expiresAt);
    return { ...(out.view as EnrollResult), keyId: out.keyId };
  }

  private cookieOf(req: Request): string | undefined {
    return (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
  }

  private setCookie(res: Response, token: string, expires: Date): void {
    res.cookie(SESSION_COOKIE, token, sessionCookieOptions(this.config, expires));
  }

  @Public()
  @Get('login/pending')
  @ApiOperation({ summary: 'The open step of a pending login (after an SSO login that also needs the key file).' })
  @ApiOkResponse({ type: PendingStepView })
  @ApiResponse({ status: 401, type: ProblemView, description: 'no_pending_login' })
  async pending(@Req() req: Request): Promise<PendingStepView> {
    const p = await this.sessions.pendingStep(this.cookieOf(req));
    if (!p) throw AuthErrors.noPendingLogin();
    return {
      step: p.kind === 'keyfile' ? 'keyfile' : 'enroll_keyfile',
      challenge: p.challenge,
      expiresAt: p.expiresAt.toISOString(),
      tenant: p.tenantCode ?? '',
      email: p.email,
    };
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
  @AllowClosedContract()
  async logout(@CurrentPrincipal() p: Principal, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(p.sessionId);
    res.clearCookie(SESSION_COOKIE, sessionCookieOptions(this.config));
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
    const tenant = view.tenant ? { code: view.tenant.code, name: view.tenant.name } : null;
    // Operators have no tenant: they log in with the reserved 契約コード "platform".
    return { ok: true, tenant, email: user.email, loginCode: tenant?.code ?? PLATFORM_TENANT_CODE };
  }
}
