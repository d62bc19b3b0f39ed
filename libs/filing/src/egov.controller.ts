import { Body, Controller, Delete, Get, HttpCode, Inject, Logger, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCookieAuth, ApiHeader, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { Request, Response } from 'express';
import {
  APP_CONFIG,
  AppConfig,
  Caller,
  CurrentCaller,
  DomainError,
  CurrentPrincipal,
  IdempotencyKey,
  IdParam,
  Principal,
  Public,
  Roles,
  Scopes,
  tenantOf,
  UUID_PATTERN,
} from '@charlotte/core';
import {
  AmendApplicationDto,
  EgovActionAcceptedView,
  ReopenApplicationDto,
  UpdateEgovSettingsDto,
  WithdrawApplicationDto,
} from './dto/filing.dto';
import { DocumentsService, DocumentView } from './documents.service';
import {
  DocumentListView,
  EgovAccountView,
  EgovLinkView,
  EgovSettingsView,
  ReopenedView,
  SubmitAcceptedView,
} from './dto/filing-views.dto';
import { EgovActionsService } from './egov-actions.service';
import { EgovAccountsService } from './egov-accounts.service';
import { SubmissionsService } from './submissions.service';

/** Binds an e-Gov account link to the browser that started it (security review, finding 4). */
export const EGOV_LINK_COOKIE = 'charlotte_egov_link';
const egovLinkCookieOptions = (config: AppConfig) => ({
  httpOnly: true,
  // Lax, not Strict: it must come back on e-Gov's top-level redirect to the callback.
  sameSite: 'lax' as const,
  secure: config.cookieSecure,
  path: '/api/v1/egov/link/callback',
  maxAge: 10 * 60 * 1000,
});

class DocParams {
  @ApiProperty({ format: 'uuid' }) @Matches(UUID_PATTERN, { message: 'id must be a UUID', context: { code: 'uuid' } }) id: string;
  @ApiProperty({ format: 'uuid' }) @Matches(UUID_PATTERN, { message: 'did must be a UUID', context: { code: 'uuid' } }) did: string;
}

/** The tenant's e-Gov account: linked by an administrator through the e-Gov login (session only). */
@ApiTags('egov')
@ApiCookieAuth()
@Roles('admin')
@Controller('egov')
export class EgovController {
  private readonly logger = new Logger('EgovLink');

  constructor(
    private readonly accounts: EgovAccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('account')
  @Roles('admin', 'member')
  @ApiOkResponse({ type: EgovAccountView })
  status(@CurrentPrincipal() p: Principal) {
    return this.accounts.status(tenantOf(p));
  }

  @Post('link')
  @HttpCode(200)
  @ApiOkResponse({ type: EgovLinkView })
  async start(@CurrentPrincipal() p: Principal, @Res({ passthrough: true }) res: Response): Promise<{ authorizeUrl: string }> {
    const { authorizeUrl, browserSecret } = await this.accounts.startLink(tenantOf(p), p.userId);
    res.cookie(EGOV_LINK_COOKIE, browserSecret, egovLinkCookieOptions(this.config));
    return { authorizeUrl };
  }

  /**
   * The e-Gov login redirects here: a top-level navigation from e-Gov's site,
   * so the SameSite=Strict session cookie is not sent. Public; the state (single
   * use, bound to the tenant and admin who started the link) and the Lax
   * cookie set by POST /egov/link (bound to the browser) authorise it.
   */
  @Public()
  @Get('link/callback')
  async callback(@Query('state') state: string, @Query('code') code: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const secret = (req.cookies as Record<string, string> | undefined)?.[EGOV_LINK_COOKIE];
    res.clearCookie(EGOV_LINK_COOKIE, { ...egovLinkCookieOptions(this.config), maxAge: undefined });
    try {
      await this.accounts.finishLink(String(state ?? ''), String(code ?? ''), typeof secret === 'string' ? secret : undefined);
      res.redirect(302, '/settings/egov?linked=1');
    } catch (e) {
      // Only our own codes reach the address bar; anything else is logged and named generically.
      if (!(e instanceof DomainError)) this.logger.error({ message: 'e-Gov link failed', err: e instanceof Error ? e.stack : String(e) });
      res.redirect(302, `/settings/egov?error=${encodeURIComponent(e instanceof DomainError ? e.code : 'egov_link_failed')}`);
    }
  }

  @Delete('account')
  @HttpCode(204)
  unlink(@CurrentPrincipal() p: Principal): Promise<void> {
    return this.accounts.unlink(tenantOf(p));
  }

  @Get('settings')
  @ApiOkResponse({ type: EgovSettingsView })
  async settings(@CurrentPrincipal() p: Principal): Promise<EgovSettingsView> {
    return { trialMode: await this.accounts.trialMode(tenantOf(p)) };
  }

  /** 試行モード on or off (admin only, audited egov.trial_mode_changed). */
  @Put('settings')
  @ApiOkResponse({ type: EgovSettingsView })
  updateSettings(@CurrentPrincipal() p: Principal, @Body() dto: UpdateEgovSettingsDto): Promise<EgovSettingsView> {
    return this.accounts.setTrialMode(tenantOf(p), p.userId, dto.trialMode);
  }
}

/** Submission, 補正 and 取下げ, official documents. */
@ApiTags('applications')
@ApiCookieAuth()
@ApiBearerAuth()
@Roles('admin', 'member')
@Controller('applications/:id')
export class FilingController {
  constructor(
    private readonly submissions: SubmissionsService,
    private readonly actions: EgovActionsService,
    private readonly documents: DocumentsService,
  ) {}

  @Post('submit')
  @HttpCode(202)
  @Scopes('applications:write')
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'the same key returns the same submission' })
  @ApiAcceptedResponse({ type: SubmitAcceptedView, description: '{status: "submitting", submissionId}' })
  submit(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @IdempotencyKey() key: string) {
    return this.submissions.submit(tenantOf(c), c, id, key);
  }

  @Post('reopen')
  @HttpCode(200)
  @Scopes('applications:write')
  @ApiOkResponse({
    type: ReopenedView,
    description:
      'A failed filing back to draft, to fix and submit again. 409 not_failed; 409 outcome_unknown when e-Gov may have received it, until the body says {confirmNotReceived: true}.',
  })
  reopen(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: ReopenApplicationDto) {
    return this.submissions.reopen(tenantOf(c), c, id, dto.confirmNotReceived === true);
  }

  @Post('amend')
  @HttpCode(202)
  @Scopes('applications:write')
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'the same key returns the same request' })
  @ApiAcceptedResponse({
    type: EgovActionAcceptedView,
    description:
      '補正: sends the form as edited since e-Gov asked for the correction (status correction_requested). 409 not_correctable, action_in_progress, version_conflict; 422 validation_failed, package_invalid. Once e-Gov accepts it the status is under_review.',
  })
  amend(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: AmendApplicationDto, @IdempotencyKey() key: string) {
    return this.actions.amend(tenantOf(c), c, id, key, dto.version);
  }

  @Post('withdraw')
  @HttpCode(202)
  @Scopes('applications:write')
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'the same key returns the same request' })
  @ApiAcceptedResponse({
    type: EgovActionAcceptedView,
    description:
      '取下げ with a reason, while the case is arrived, under_review or correction_requested. 409 not_withdrawable, action_in_progress. Once e-Gov accepts it the status is withdrawn.',
  })
  withdraw(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: WithdrawApplicationDto, @IdempotencyKey() key: string) {
    return this.actions.withdraw(tenantOf(c), c, id, key, dto.reason);
  }

  @Get('documents')
  @Scopes('documents:read')
  @ApiOkResponse({ type: DocumentListView })
  async list(@CurrentCaller() c: Caller, @Param() { id }: IdParam): Promise<{ items: DocumentView[] }> {
    return { items: await this.documents.list(tenantOf(c), c, id) };
  }

  @Get('documents/:did')
  @Scopes('documents:read')
  @ApiOkResponse({ description: 'the document; ?inline=1 previews a PDF in the browser' })
  async download(
    @CurrentCaller() c: Caller,
    @Param() p: DocParams,
    @Query('inline') inline: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    await this.documents.download(tenantOf(c), c, p.id, p.did, res, inline === '1');
  }
}
