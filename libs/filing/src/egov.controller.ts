import { Body, Controller, Delete, Get, HttpCode, Inject, Logger, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCookieAuth,
  ApiFoundResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { Request, Response } from 'express';
import {
  APP_CONFIG,
  ApiProblems,
  AppConfig,
  Caller,
  ClientPortal,
  CurrentCaller,
  DomainError,
  CurrentPrincipal,
  IdempotencyKey,
  IDEMPOTENCY_KEY_PATTERN,
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
  @ApiOperation({
    summary: 'e-Gov連携の状態 / The linked e-Gov account',
    description: [
      '連携しているe-GovアカウントID、連携日時、アクセストークンとリフレッシュトークンの有効期限、試行モードかを返します。トークンそのものは返しません。テナントの管理者・メンバーのセッションのみです。',
      'Which e-Gov account is linked, since when, when its access and refresh tokens expire, and whether trial mode (試行モード) is on; never a token. Administrators and members in a session only.',
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: EgovAccountView })
  status(@CurrentPrincipal() p: Principal): Promise<EgovAccountView> {
    return this.accounts.status(tenantOf(p));
  }

  @Post('link')
  @HttpCode(200)
  @ApiOperation({
    summary: 'e-Gov連携を開始 / Start linking the e-Gov account',
    description: [
      'e-Govのログイン画面のURL（authorizeUrl）を返し、連携をこのブラウザーに結び付ける Cookie（10分）を設定します。ブラウザーはそのURLへ移動し、e-Govでログインすると /egov/link/callback に戻ります。テナント管理者のセッションのみです。',
      'Answers the URL of the e-Gov login (authorizeUrl) and sets a cookie (10 minutes) that binds the link to this browser; the browser goes there, and after the e-Gov login comes back to /egov/link/callback. Tenant administrators in a session only.',
    ].join('\n\n'),
  })
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
  @ApiOperation({
    summary: 'e-Govからの戻り先 / Return from the e-Gov login',
    description: [
      'ブラウザー用です。e-Govのログイン後にリダイレクトされ、state（1回限り、連携を始めた契約と管理者に結び付く）と POST /egov/link が設定した Cookie を確かめて連携を完了し、/settings/egov?linked=1 へ 302 でリダイレクトします。失敗した場合は /settings/egov?error=コード へリダイレクトします。セッションは不要です（state と Cookie が認証の代わりです）。',
      'For browsers: e-Gov redirects here after its login. Checks the state (single use, bound to the tenant and administrator who started the link) and the cookie set by POST /egov/link, finishes the link and redirects (302) to /settings/egov?linked=1, or to /settings/egov?error=<code> when it fails. No session needed (the state and the cookie stand for it).',
    ].join('\n\n'),
    security: [],
  })
  @ApiFoundResponse({ description: 'to /settings/egov?linked=1, or /settings/egov?error=<code> (egov_link_invalid, egov_link_failed…)' })
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
  @ApiOperation({
    summary: 'e-Gov連携を解除 / Unlink the e-Gov account',
    description: [
      '契約のe-Govアカウントの連携を解除し、保存しているトークンを消去して、e-Govのセッションも終了します（監査ログ egov.account_unlinked）。連携していなくても 204 です。テナント管理者のセッションのみです。',
      "Unlinks the tenant's e-Gov account, erases its stored tokens and ends the e-Gov session (audited as egov.account_unlinked); 204 also when none was linked. Tenant administrators in a session only.",
    ].join('\n\n'),
  })
  @ApiNoContentResponse({ description: '連携を解除しました（連携していなかった場合も同じ）。 / Unlinked (or was not linked).' })
  unlink(@CurrentPrincipal() p: Principal): Promise<void> {
    return this.accounts.unlink(tenantOf(p));
  }

  @Get('settings')
  @ApiOperation({
    summary: 'e-Gov設定を取得 / Get the e-Gov settings',
    description: [
      '試行モード（e-Govで確認だけされ、提出されない送信）かどうかを返します。テナント管理者のセッションのみです。',
      'Whether trial mode is on (filings are sent with X-eGovAPI-Trial: checked by e-Gov, never filed). Tenant administrators in a session only.',
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: EgovSettingsView })
  async settings(@CurrentPrincipal() p: Principal): Promise<EgovSettingsView> {
    return { trialMode: await this.accounts.trialMode(tenantOf(p)) };
  }

  /** 試行モード on or off (admin only, audited egov.trial_mode_changed). */
  @Put('settings')
  @ApiOperation({
    summary: 'e-Gov設定を保存 / Save the e-Gov settings',
    description: [
      '試行モードを切り替えます（監査ログに egov.trial_mode_changed を記録）。テナント管理者のセッションのみです。',
      'Turns trial mode on or off (audited as egov.trial_mode_changed). Tenant administrators in a session only.',
    ].join('\n\n'),
  })
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
  @ApiOperation({
    summary: 'e-Govへ提出 / Submit to e-Gov',
    description: [
      '入力チェック済み（ready）の申請をe-Govへの提出として受け付け（202、status: submitting）、送信はバックグラウンドで行います。到達番号と状況は申請の取得で確認できます。Idempotency-Key ヘッダーが必要で、同じキーの再送は同じ結果を返します。e-Gov未連携は 409 egov_not_linked、提出済みは 409 already_submitted、ready でなければ 409 not_ready、署名が必要な手続で電子証明書がなければ 409 egov_signature_required、申請データを組み立てられなければ 422 package_invalid、他の契約のIDや存在しないIDは 404 not_found です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      'Accepts an application that passed the input check (ready) for filing with e-Gov (202, status submitting); the sending runs in the background, and the application shows the 到達番号 and the e-Gov status later. Needs an Idempotency-Key header: a retry with the same key answers the same request. 409 egov_not_linked, 409 already_submitted, 409 not_ready, 409 egov_signature_required (a procedure that must be signed, without a certificate), 422 package_invalid when the filing cannot be built, 404 not_found for unknown ids and ids of another tenant. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'the same key returns the same submission (8-100 characters: letters, digits, _ . : -)',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
  })
  @ApiAcceptedResponse({ type: SubmitAcceptedView, description: '{status: "submitting", submissionId}' })
  @ApiProblems({
    404: '`not_found`.',
    409: '`egov_not_linked`, `already_submitted`, `not_ready`, `egov_signature_required`.',
    422: '`package_invalid`.',
  })
  submit(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @IdempotencyKey() key: string) {
    return this.submissions.submit(tenantOf(c), c, id, key);
  }

  @Post('reopen')
  @HttpCode(200)
  @Scopes('applications:write')
  @ApiOperation({
    summary: '失敗した申請を下書きに戻す / Reopen a failed filing',
    description: [
      '提出に失敗した申請を下書きに戻し、直して再提出できるようにします。e-Govが受け取った可能性がある場合（最後の応答が届かなかった場合）は、e-Govで到達していないことを確かめたうえで {confirmNotReceived: true} を送るまで 409 outcome_unknown です。失敗していない申請は 409 not_failed、他の契約のIDや存在しないIDは 404 not_found です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      'Brings a failed filing back to draft, to fix and submit again. When e-Gov may have received it (its last answer never came), 409 outcome_unknown until the body says {confirmNotReceived: true}, after checking on e-Gov that it did not arrive. 409 not_failed for an application whose filing did not fail, 404 not_found for unknown ids and ids of another tenant. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: ReopenedView, description: 'Back to draft, with its new version.' })
  @ApiProblems({ 404: '`not_found`.', 409: '`not_failed`, `outcome_unknown`.' })
  reopen(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: ReopenApplicationDto) {
    return this.submissions.reopen(tenantOf(c), c, id, dto.confirmNotReceived === true);
  }

  @Post('amend')
  @HttpCode(202)
  @Scopes('applications:write')
  @ApiOperation({
    summary: '補正を送る / Send a correction (補正)',
    description: [
      'e-Govから補正を求められた申請（補正待ち）の、その後に編集したフォームを補正として送ります（202、送信はバックグラウンド）。e-Govが受け付けると審査中になります。Idempotency-Key ヘッダーが必要で、同じキーの再送は同じ結果を返します。補正待ちでなければ 409 not_correctable、別の操作の送信中は 409 action_in_progress、version が古ければ 409 version_conflict、同じキーを別の操作に使うと 409 idempotency_key_reused、e-Gov未連携は 409 egov_not_linked、フォームが規則を満たさなければ 422 validation_failed（すべての項目のエラー付き）、申請データを組み立てられなければ 422 package_invalid です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      '補正: sends the form as edited since e-Gov asked for the correction (status correction_requested) (202; the sending runs in the background). Once e-Gov accepts it the status is under_review. Needs an Idempotency-Key header: a retry with the same key answers the same request. 409 not_correctable, action_in_progress, version_conflict, idempotency_key_reused (the key of another action), egov_not_linked; 422 validation_failed (with every field error) for a form that breaks a rule, 422 package_invalid when the filing cannot be built. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'the same key returns the same request (8-100 characters: letters, digits, _ . : -)',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
  })
  @ApiAcceptedResponse({ type: EgovActionAcceptedView, description: 'Accepted; the action is sent in the background.' })
  @ApiProblems({
    404: '`not_found`.',
    409: '`not_correctable`, `action_in_progress`, `version_conflict`, `idempotency_key_reused`, `egov_not_linked`.',
    422: '`validation_failed` (the form breaks a rule), `package_invalid`.',
  })
  amend(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: AmendApplicationDto, @IdempotencyKey() key: string) {
    return this.actions.amend(tenantOf(c), c, id, key, dto.version);
  }

  @Post('withdraw')
  @HttpCode(202)
  @Scopes('applications:write')
  @ApiOperation({
    summary: '申請を取り下げる / Withdraw a filing (取下げ)',
    description: [
      '到達・審査中・補正待ちの申請の取下げを理由とともに送ります（202、送信はバックグラウンド）。e-Govが受け付けると取下げ済みになります。Idempotency-Key ヘッダーが必要で、同じキーの再送は同じ結果を返します。取り下げられない状態は 409 not_withdrawable、e-Govに届いていなければ 409 not_filed、別の操作の送信中は 409 action_in_progress、同じキーを別の操作に使うと 409 idempotency_key_reused、e-Gov未連携は 409 egov_not_linked、署名が必要な手続で電子証明書がなければ 409 egov_signature_required です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      '取下げ with a reason, while the case is arrived, under_review or correction_requested (202; the sending runs in the background). Once e-Gov accepts it the status is withdrawn. Needs an Idempotency-Key header: a retry with the same key answers the same request. 409 not_withdrawable, not_filed (no e-Gov case yet), action_in_progress, idempotency_key_reused, egov_not_linked, egov_signature_required. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'the same key returns the same request (8-100 characters: letters, digits, _ . : -)',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
  })
  @ApiAcceptedResponse({ type: EgovActionAcceptedView, description: 'Accepted; the action is sent in the background.' })
  @ApiProblems({
    404: '`not_found`.',
    409: '`not_withdrawable`, `not_filed`, `action_in_progress`, `idempotency_key_reused`, `egov_not_linked`, `egov_signature_required`.',
  })
  withdraw(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: WithdrawApplicationDto, @IdempotencyKey() key: string) {
    return this.actions.withdraw(tenantOf(c), c, id, key, dto.reason);
  }

  @Get('documents')
  @ClientPortal()
  @Scopes('documents:read')
  @ApiOperation({
    summary: '公文書一覧 / List the official documents',
    description: [
      '申請についてe-Govが発行した公文書（審査結果通知書など）を、発行順にすべて返します（1ページに収まるため nextCursor は常に null）。件名は手続の日本語名で示し、e-Govの内部IDは含みません。管理者・メンバー・顧問先ポータルのユーザー（自分の顧問先の申請のみ）のセッション、または documents:read スコープのAPIトークンで使えます。他の契約のIDや存在しないIDは 404 not_found です。',
      "The official documents (公文書) e-Gov issued for the application, all of them, in the order they were issued (one page: nextCursor is always null); titled with the procedure's Japanese name, never with e-Gov's internal ids. Administrators, members and client portal users (their own client's applications only) in a session, or API tokens with the documents:read scope. 404 not_found for unknown ids and ids of another tenant.",
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: DocumentListView })
  @ApiProblems({ 404: '`not_found`.' })
  async list(@CurrentCaller() c: Caller, @Param() { id }: IdParam): Promise<DocumentListView> {
    const items: DocumentView[] = await this.documents.list(tenantOf(c), c, id);
    return { items, nextCursor: null };
  }

  @Get('documents/:did')
  @ClientPortal()
  @Scopes('documents:read')
  @ApiOperation({
    summary: '公文書をダウンロード / Download an official document',
    description: [
      '公文書のファイルを返します（多くは PDF か XML。Content-Type は保存時の種類）。inline=1 ではブラウザー内で表示します（PDFのプレビュー）。管理者・メンバーのセッション、または documents:read スコープのAPIトークンで使えます。他の契約や存在しない申請・公文書は 404 not_found です。',
      'The file of an official document (mostly PDF or XML; Content-Type as stored); inline=1 shows it in the browser (PDF preview). Administrators and members in a session, or API tokens with the documents:read scope. 404 not_found for unknown applications or documents and those of another tenant.',
    ].join('\n\n'),
  })
  @ApiQuery({ name: 'inline', required: false, enum: ['1'], description: '1: Content-Disposition inline (preview in the browser)' })
  @ApiOkResponse({
    description: 'The document (Content-Disposition: attachment, or inline with inline=1).',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiProblems({ 404: '`not_found`.' })
  async download(
    @CurrentCaller() c: Caller,
    @Param() p: DocParams,
    @Query('inline') inline: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    await this.documents.download(tenantOf(c), c, p.id, p.did, res, inline === '1');
  }
}
