import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, ApiProblems, AppConfig, ClientPortal, Public } from '@charlotte/core';
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
  @ApiOperation({
    summary: 'パスワードでログイン（1段階目） / Log in with a password (step 1)',
    description:
      '契約コード・メールアドレス・パスワードを確かめます。認証は不要です。成功しても権限はまだ与えられず、' +
      'キーファイルの署名を待つログイン途中のセッション（Cookie）と challenge を返します（step: keyfile、キーが未登録で登録が許されていれば enroll_keyfile）。' +
      '存在しない契約・ユーザーと誤ったパスワードは同じ 401 invalid_credentials です。失敗が続くと 423 account_locked（Retry-After 付き）、' +
      'SSO必須の契約では 403 sso_required、解約済みの契約では 403 contract_cancelled、キーファイルがなく登録も許されていなければ 403 keyfile_required です。\n\n' +
      'Checks tenant code, e-mail address and password. No authentication. Success grants nothing yet: it sets a pending-login cookie and answers ' +
      'the challenge for the key-file step (step keyfile, or enroll_keyfile when the user has no key and may enrol one). Unknown tenants, unknown users ' +
      'and wrong passwords all answer 401 invalid_credentials. Repeated failures answer 423 account_locked (with Retry-After); 403 sso_required when ' +
      'the contract enforces SSO, 403 contract_cancelled for a cancelled contract, 403 keyfile_required when the user has no key file and may not enrol one.',
  })
  @ApiOkResponse({ type: LoginResult })
  @ApiProblems({
    401: '`invalid_credentials`: unknown tenant or user, or wrong password.',
    403: '`sso_required`, `contract_cancelled`, `keyfile_required`.',
    423: '`account_locked`: too many failed logins (Retry-After).',
  })
  async login(@Body() dto: LoginDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResult> {
    const out = await this.auth.login(dto, req.ip, req.header('user-agent'));
    this.setCookie(res, out.token, out.expiresAt);
    return out.view as LoginResult;
  }

  @Public()
  @LoginThrottle()
  @Post('keyfile')
  @HttpCode(200)
  @ApiOperation({
    summary: 'キーファイルの署名でログイン（2段階目） / Log in with the key file (step 2)',
    description:
      'パスワード（またはSSO）の後、ログイン途中のセッション（Cookie）の challenge に対するキーファイルの ES256 署名を確かめ、セッションを開きます。' +
      '認証はログイン途中の Cookie のみです。応答は step: done、ユーザー、以後の変更系リクエストで X-CSRF-Token に送る csrfToken です。' +
      '署名が合わない・失効したキー・他人のキーは 401 keyfile_invalid、challenge の期限切れ・使用済みやログイン途中でない場合は 401 challenge_expired、' +
      '解約済みの契約は 403 contract_cancelled、失敗が続くと 423 account_locked です。\n\n' +
      'After the password (or SSO) step: checks the ES256 signature of the key file over the challenge of the pending login (cookie) and opens the ' +
      'session. Only the pending-login cookie authenticates it. Answers step done, the user and the csrfToken to send as X-CSRF-Token on unsafe ' +
      "requests. 401 keyfile_invalid for a wrong signature, a revoked key or another user's key; 401 challenge_expired when the challenge expired, " +
      'was used or there is no pending login; 403 contract_cancelled; 423 account_locked after repeated failures.',
  })
  @ApiOkResponse({ type: LoginResult })
  @ApiProblems({
    401: '`keyfile_invalid`, `challenge_expired`.',
    403: '`contract_cancelled`.',
    423: '`account_locked`.',
  })
  async keyfile(@Body() dto: KeyfileStepDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResult> {
    const out = await this.auth.keyfileStep(this.cookieOf(req), dto.keyId, dto.signature, req.ip, req.header('user-agent'));
    this.setCookie(res, out.token, out.expiresAt);
    return out.view as LoginResult;
  }

  @Public()
  @LoginThrottle()
  @Post('keyfile/enroll')
  @HttpCode(200)
  @ApiOperation({
    summary: 'キーファイルを登録してログイン / Enrol a key file and log in',
    description:
      '初回ログイン（step: enroll_keyfile）で、ブラウザーで生成した公開鍵（JWK）を登録し、同じ challenge への新しい鍵の署名を確かめてセッションを開きます。' +
      '認証はログイン途中の Cookie のみです。応答には登録したキーの keyId（JWK thumbprint）が含まれます。' +
      '署名が合わなければ 401 keyfile_invalid、challenge の期限切れは 401 challenge_expired、登録が許されていなければ 403 enrolment_not_allowed、' +
      '鍵の形式が不正なら 400 validation_failed、登録済みの鍵は 409 key_exists です。\n\n' +
      "First login (step enroll_keyfile): registers the public key (JWK) generated in the browser, checks the new key's signature over the same " +
      'challenge and opens the session. Only the pending-login cookie authenticates it. The answer carries keyId (the JWK thumbprint). ' +
      '401 keyfile_invalid for a wrong signature, 401 challenge_expired, 403 enrolment_not_allowed when the user may not enrol a key, ' +
      '400 validation_failed for an unusable key, 409 key_exists for a key already registered.',
  })
  @ApiOkResponse({ type: EnrollResult })
  @ApiProblems({
    401: '`keyfile_invalid`, `challenge_expired`.',
    403: '`enrolment_not_allowed`, `contract_cancelled`.',
    409: '`key_exists`.',
    423: '`account_locked`.',
  })
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
  @ApiOperation({
    summary: 'ログイン途中の次の手順 / The open step of a pending login',
    description:
      'SSOでログインした後にキーファイルも必要な場合に、ログイン画面が続きの手順（keyfile または enroll_keyfile）と challenge、契約コード、' +
      'メールアドレスを読むためのものです。認証はログイン途中の Cookie のみです。ログイン途中でなければ 401 no_pending_login です。\n\n' +
      'After an SSO login that also needs the key file, the login page reads the open step (keyfile or enroll_keyfile), its challenge, the tenant ' +
      'code and the e-mail address here. Only the pending-login cookie authenticates it. 401 no_pending_login when there is none.',
  })
  @ApiOkResponse({ type: PendingStepView })
  @ApiProblems({ 401: '`no_pending_login`.' })
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
  @ClientPortal()
  @ApiCookieAuth()
  @ApiOperation({
    summary: '現在のセッション / The current session',
    description:
      'ログイン中のユーザー、所属する契約（プラットフォーム運用者は null）、変更系リクエストに付ける csrfToken を返します。' +
      'セッション（Cookie）が必要で、APIトークンでは使えません。未ログイン・期限切れは 401 unauthenticated です。\n\n' +
      'The logged-in user, their tenant (null for a platform operator) and the csrfToken to send as X-CSRF-Token on unsafe requests. ' +
      'Session (cookie) only, not for API tokens. 401 unauthenticated without a live session.',
  })
  @ApiOkResponse({ type: SessionView })
  session(@CurrentPrincipal() p: Principal): Promise<SessionView> {
    return this.auth.sessionView(p.userId, p.tenantId, p.csrfToken);
  }

  @Post('logout')
  @ClientPortal()
  @HttpCode(204)
  @ApiCookieAuth()
  @AllowClosedContract()
  @ApiOperation({
    summary: 'ログアウト / Log out',
    description:
      'セッションを終了し、Cookie を削除します。セッション（Cookie）と X-CSRF-Token が必要です。解約済みの契約のセッションでも使えます。\n\n' +
      'Ends the session and clears its cookie. Needs the session (cookie) and X-CSRF-Token; also works for a session of a cancelled contract.',
  })
  @ApiNoContentResponse({ description: 'Logged out.' })
  async logout(@CurrentPrincipal() p: Principal, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(p.sessionId);
    res.clearCookie(SESSION_COOKIE, sessionCookieOptions(this.config));
  }

  @Public()
  @LoginThrottle()
  @Post('invitations/accept')
  @HttpCode(200)
  @ApiOperation({
    summary: '招待を受けてパスワードを設定 / Accept an invitation and set the password',
    description:
      '招待メールの1回限りのリンクのトークンで、招待されたユーザーのパスワードを設定し有効にします。認証は不要です（トークンが認証の代わりです）。' +
      '応答はログインに使う契約コード（loginCode。運用者は platform）とメールアドレスで、セッションは開きません。' +
      'トークンが無効・使用済み・期限切れなら 400 invitation_invalid、パスワードが規則に合わなければ 400 validation_failed です。\n\n' +
      'Sets the password of an invited user from the token of the one-time invitation link and activates the user. No authentication (the token ' +
      'stands for it). Answers the tenant code to log in with (loginCode; "platform" for operators) and the e-mail address; no session is opened. ' +
      '400 invitation_invalid for an unknown, used or expired token; 400 validation_failed for a password that breaks the rules.',
  })
  @ApiOkResponse({ type: AcceptInvitationResult })
  @ApiProblems({ 400: '`invitation_invalid`.' })
  async acceptInvitation(@Body() dto: AcceptInvitationDto): Promise<AcceptInvitationResult> {
    const user = await this.users.acceptInvitation(dto.token, dto.password);
    const view = await this.auth.sessionView(user.id, user.tenantId, '');
    const tenant = view.tenant ? { code: view.tenant.code, name: view.tenant.name } : null;
    // Operators have no tenant: they log in with the reserved 契約コード "platform".
    return { ok: true, tenant, email: user.email, loginCode: tenant?.code ?? PLATFORM_TENANT_CODE };
  }
}
