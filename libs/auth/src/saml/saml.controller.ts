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
  ApiSeeOtherResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig, Public, requestContext } from '@charlotte/core';
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
  @ApiOperation({ summary: "SP-initiated SSO: redirects the browser to the tenant's IdP." })
  @ApiQuery({ name: 'returnTo', required: false, description: 'same-origin path to open after the login (default /)' })
  @ApiFoundResponse({ description: 'to the IdP with a SAMLRequest and an opaque RelayState' })
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
  @ApiOperation({ summary: "Assertion consumer service (HTTP-POST binding): the browser posts the IdP's SAMLResponse here." })
  @ApiConsumes('application/x-www-form-urlencoded')
  // The guard reads :tenant from the request; declared here so the document names it.
  @ApiParam({ name: 'tenant', description: 'the tenant code' })
  @ApiSeeOtherResponse({
    description: 'to /auth/saml/{tenant}/finish with a one-time code: the session is opened there, in the browser that started the login',
  })
  @ApiUnauthorizedResponse({ description: 'text/html page with the reason code; a `security` audit event records it' })
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
    summary: 'Finishes an SSO login: checks that this browser started it (binding cookie), then opens the session.',
  })
  @ApiQuery({ name: 'code', required: true, description: 'the one-time code from the ACS redirect (2 minutes, single use)' })
  @ApiFoundResponse({
    description: 'to the SPA (returnTo) with a session cookie, or to /login?sso=keyfile when the key file is also required',
  })
  @ApiUnauthorizedResponse({ description: 'text/html page with the reason code (browser_mismatch, login_code_invalid…), audited' })
  async finish(@Param('tenant') tenant: string, @Query('code') code: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const result = await this.login.finish(req, tenant, typeof code === 'string' ? code : '', readBinding(req, this.config));
    res.cookie(SESSION_COOKIE, result.token, sessionCookieOptions(this.config, result.expiresAt));
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, result.redirectTo);
  }
}
