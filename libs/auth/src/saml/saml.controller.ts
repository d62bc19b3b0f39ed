import {
  ArgumentsHost,
  Catch,
  Controller,
  ExceptionFilter,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Logger,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  ApiConsumes,
  ApiFoundResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiSeeOtherResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, ApiProblems, AppConfig, Public, requestContext } from '@charlotte/core';
import { LoginThrottle } from '../guards/principal';
import { SESSION_COOKIE, sessionCookieOptions } from '../sessions/sessions.service';
import { bindingCookieName, bindingCookieOptions, bindingFor, readBinding } from './saml-binding';
import { SamlRejection } from './saml-checks';
import { SamlAcsResult, SamlLoginService } from './saml-login.service';
import { SamlAcsGuard } from './saml.strategy';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page a browser gets when SSO fails: the same generic text for every
 * cause, plus the reason code and request id for the administrator. Static
 * HTML without script or inline style (the CSP allows neither).
 */
export function refusalPage(reason: string, requestId: string | undefined): string {
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>SSOでログインできませんでした / SSO login failed</title></head>
<body><main>
<h1>SSOでログインできませんでした</h1>
<p>シングルサインオンの応答を受け付けられませんでした。もう一度お試しいただき、解決しない場合は次のコードをシステム管理者にお伝えください。</p>
<p lang="en">Charlotte could not accept the single sign-on response. Try again; if it keeps failing, give your administrator the code below.</p>
<dl><dt>理由コード / Reason</dt><dd><code id="reason">${escapeHtml(reason)}</code></dd>
<dt>リクエストID / Request ID</dt><dd><code id="request-id">${escapeHtml(requestId ?? '-')}</code></dd></dl>
<p><a href="/login">ログイン画面に戻る / Back to the login page</a></p>
</main></body></html>
`;
}

/**
 * Every SSO refusal: a `security` audit event with the reason, then the
 * generic page (no session is set).
 *
 * This filter must never reject: Nest does not await or catch an async
 * filter, so a rejection here was an unhandled rejection that stopped the
 * process (issue 13, finding 1: the audit write refused an attacker's string).
 * Whatever fails, the refusal is answered, and it is recorded: if the event
 * cannot be written, the failure is logged and a fallback event without
 * details is recorded instead.
 */
@Injectable()
@Catch(SamlRejection)
export class SamlRejectionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SamlRejectionFilter');

  constructor(private readonly login: SamlLoginService) {}

  catch(e: SamlRejection, host: ArgumentsHost): Promise<void> {
    return this.refuse(e, host).catch((err: unknown) =>
      this.logger.error({
        message: 'SSO refusal could not be answered',
        requestId: requestContext.get()?.requestId,
        err: err instanceof Error ? err.message : String(err),
      }),
    );
  }

  private async refuse(e: SamlRejection, host: ArgumentsHost): Promise<void> {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    try {
      if (e.reason !== 'sso_not_configured') await this.record(req, e);
    } finally {
      if (!res.headersSent) {
        res
          .status(e.reason === 'sso_not_configured' ? 404 : e.reason === 'tenant_inactive' || e.reason === 'ip_not_allowed' ? 403 : 401)
          .setHeader('Cache-Control', 'no-store')
          .type('html')
          .send(refusalPage(e.reason, requestContext.get()?.requestId));
      }
    }
  }

  private async record(req: Request, e: SamlRejection): Promise<void> {
    try {
      await this.login.refusalAudit(req, e);
    } catch (err) {
      this.logger.error({
        message: 'SSO refusal event not recorded; recording it without details',
        reason: e.reason,
        requestId: requestContext.get()?.requestId,
        err: err instanceof Error ? err.name : String(err),
      });
      await this.login.refusalAuditFallback(req, e);
    }
  }
}

/** A refusal of the SAML browser endpoints: the HTML page of {@link refusalPage}, not problem+json. */
const ApiRefusalPage = (status: 401 | 404, why: string) =>
  ApiResponse({ status, description: `HTML page: ${why}.`, content: { 'text/html': { schema: { type: 'string' } } } });

/** Browser endpoints of SAML Web SSO (HTTP-Redirect to the IdP, HTTP-POST back). */
@ApiTags('sso')
@Controller('auth/saml')
@UseFilters(SamlRejectionFilter)
export class SamlLoginController {
  constructor(
    private readonly login: SamlLoginService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @LoginThrottle()
  @Get(':tenant/login')
  @ApiOperation({
    summary: 'SSOログインを開始 / Start an SSO login',
    description: [
      'ブラウザー用です。SAMLRequest と RelayState を付けて契約のIdPへリダイレクトし（302）、このブラウザーを識別する Cookie を設定します。認証は不要です。SSOが設定されていない契約は 404、IdPのSSO URLが使えなければ 401 の理由コード付きHTMLページ、解約済みの契約は 403 contract_cancelled です。',
      "For browsers: redirects to the tenant's IdP with a SAMLRequest and an opaque RelayState (302) and sets the cookie that binds the login to this browser. No authentication. An HTML page with the reason code answers 404 when the tenant has no SSO configuration and 401 when its SSO URL cannot be used.",
    ].join('\n\n'),
  })
  @ApiParam({ name: 'tenant', description: 'the tenant code (契約コード)' })
  @ApiQuery({ name: 'returnTo', required: false, description: 'same-origin path to open after the login (default /)' })
  @ApiFoundResponse({ description: 'to the IdP with a SAMLRequest and an opaque RelayState' })
  @ApiRefusalPage(401, 'the SSO URL cannot be used (sso_url_invalid)')
  @ApiProblems({ 403: '`contract_cancelled` (problem+json, audited).' })
  @ApiRefusalPage(404, 'no SSO configuration for this tenant (sso_not_configured)')
  async start(
    @Param('tenant') tenant: string,
    @Query('returnTo') returnTo: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    // The browser binding of finding 9 (issue 13): see saml-binding.ts.
    const binding = bindingFor(readBinding(req, this.config));
    const url = await this.login.startLogin(tenant, typeof returnTo === 'string' ? returnTo : undefined, binding);
    res.cookie(bindingCookieName(this.config), binding, bindingCookieOptions(this.config));
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, url);
  }

  @Public()
  @LoginThrottle()
  @Post(':tenant/acs')
  @HttpCode(303)
  @UseGuards(SamlAcsGuard)
  @ApiOperation({
    summary: 'SAML応答の受信（ACS） / Assertion consumer service',
    description: [
      'ブラウザー用です（HTTP-POST バインディング）。IdPの SAMLResponse を検証し、1回限りのコードを付けて /auth/saml/{tenant}/finish へ 303 でリダイレクトします。認証は不要です（署名付きの応答が認証です）。検証できない応答は理由コード付きのHTMLページ（401）で、security の監査イベントを記録します。',
      "For browsers (HTTP-POST binding): checks the IdP's SAMLResponse and redirects (303) to /auth/saml/{tenant}/finish with a one-time code. No authentication (the signed response is). A response that does not verify answers an HTML page with the reason code (401), recorded as a security audit event.",
    ].join('\n\n'),
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  // The guard reads :tenant from the request; declared here so the document names it.
  @ApiParam({ name: 'tenant', description: 'the tenant code' })
  @ApiSeeOtherResponse({
    description: 'to /auth/saml/{tenant}/finish with a one-time code: the session is opened there, in the browser that started the login',
  })
  @ApiRefusalPage(401, 'the reason code; a `security` audit event records it')
  @ApiProblems({ 403: '`contract_cancelled` (problem+json, audited).' })
  @ApiRefusalPage(404, 'no SSO configuration for this tenant (sso_not_configured)')
  acs(@Req() req: Request & { user?: SamlAcsResult }, @Res() res: Response): void {
    const result = req.user as SamlAcsResult;
    res.setHeader('Cache-Control', 'no-store');
    // 303: the browser follows with a GET, a top-level navigation on which the
    // SameSite=Lax binding cookie is sent (saml-binding.ts).
    res.redirect(303, result.finishUrl);
  }

  @Public()
  @LoginThrottle()
  @Get(':tenant/finish')
  @ApiOperation({
    summary: 'SSOログインを完了 / Finish an SSO login',
    description: [
      'ブラウザー用です。ACS が発行した1回限りのコードと、ログインを始めたブラウザーの Cookie を確かめてセッションを開き、SPA（returnTo）へ 302 でリダイレクトします。キーファイルも必要な契約では /login?sso=keyfile へリダイレクトします。認証は不要です。コードが無効・使用済み、別のブラウザーからの場合は理由コード付きのHTMLページ（401）です。',
      'For browsers: checks the one-time code from the ACS and the cookie of the browser that started the login, opens the session and redirects (302) to the SPA (returnTo), or to /login?sso=keyfile when the key file is also required. No authentication. An unknown or used code, or another browser, answers an HTML page with the reason code (401).',
    ].join('\n\n'),
  })
  @ApiParam({ name: 'tenant', description: 'the tenant code (契約コード)' })
  @ApiQuery({ name: 'code', required: true, description: 'the one-time code from the ACS redirect (2 minutes, single use)' })
  @ApiFoundResponse({
    description: 'to the SPA (returnTo) with a session cookie, or to /login?sso=keyfile when the key file is also required',
  })
  @ApiRefusalPage(401, 'the reason code (browser_mismatch, login_code_invalid…), audited')
  @ApiProblems({ 403: '`contract_cancelled` (problem+json, audited).' })
  @ApiRefusalPage(404, 'no SSO configuration for this tenant (sso_not_configured)')
  async finish(@Param('tenant') tenant: string, @Query('code') code: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const result = await this.login.finish(req, tenant, typeof code === 'string' ? code : '', readBinding(req, this.config));
    res.cookie(SESSION_COOKIE, result.token, sessionCookieOptions(this.config, result.expiresAt));
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, result.redirectTo);
  }
}
