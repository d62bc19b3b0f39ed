import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems, Caller, ClientPortal, CurrentCaller, IdParam, Roles, Scopes, tenantOf } from '@charlotte/core';
import { ApplicationsService } from './applications.service';
import {
  ApplicationDetail,
  ApplicationListView,
  CreateApplicationDto,
  DeleteApplicationQuery,
  GetApplicationQuery,
  ListApplicationsQuery,
  UpdateApplicationDto,
  ValidationResultView,
} from './dto/application.dto';

/** Applications (申請) of the caller's tenant. */
@ApiTags('applications')
@ApiCookieAuth()
@ApiBearerAuth()
@Roles('admin', 'member')
@Controller('applications')
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @ApiOperation({
    summary: '申請一覧 / List applications',
    description: [
      '自分の契約の申請を新しい順に返します（status・officeId・procedure・from・to で絞り込み、limit・cursor でページ送り）。フォームの内容は含みません。管理者・メンバーのセッション、または applications:read スコープのAPIトークンで使えます。顧問先ポータルのユーザーには自分の顧問先の申請（下書きを含む）だけが返ります。',
      "The applications of the caller's tenant, newest first, filtered by status, officeId, procedure, from and to, page by page (limit, cursor); without their forms. Administrators and members in a session, or API tokens with the applications:read scope. A client portal user gets their own client's applications only (drafts included).",
    ].join('\n\n'),
  })
  @Get()
  @ClientPortal()
  @Scopes('applications:read')
  @ApiOkResponse({ type: ApplicationListView })
  list(@CurrentCaller() c: Caller, @Query() q: ListApplicationsQuery): Promise<ApplicationListView> {
    return this.applications.list(tenantOf(c), c, q);
  }

  @ApiOperation({
    summary: '申請を作成 / Create an application',
    description: [
      '手続コード・事業所・件名・フォーム（途中まででも可）で下書きを作成します。型や形式の合わない項目があれば 400 validation_failed（errors の field は form.項目名）、未対応の手続コードも 400 validation_failed、他の契約の事業所や存在しない事業所は 404 not_found です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      'Creates a draft from a procedure code, an office, a title and a form (which may be partial). 400 validation_failed for fields of the wrong type or format (errors name form.<field>) and for an unknown procedure code; 404 not_found for an unknown office or one of another tenant. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @Post()
  @Scopes('applications:write')
  @ApiCreatedResponse({ type: ApplicationDetail })
  @ApiProblems({ 404: '`not_found`: the office.' })
  create(@CurrentCaller() c: Caller, @Body() dto: CreateApplicationDto): Promise<ApplicationDetail> {
    return this.applications.create(tenantOf(c), c, dto);
  }

  @ApiOperation({
    summary: '申請を取得 / Get an application',
    description: [
      '申請1件をフォーム・添付書類・経過・e-Govの状況とともに返します。個人番号は伏せて返し、unmask=sensitive で伏せずに返します（ユーザーのセッションのみ。毎回監査ログに記録）。管理者・メンバーのセッション、または applications:read スコープのAPIトークンで使えます。顧問先ポータルのユーザーは自分の顧問先の申請を閲覧だけできます（個人番号は伏せたまま）。他の契約のIDや存在しないIDは 404 not_found、APIトークンと顧問先ポータルのユーザーの unmask は 403 unmask_not_allowed です。',
      "One application with its form, attachments, timeline and e-Gov state. 個人番号 comes masked; unmask=sensitive shows it (user sessions only, each request audited). Administrators and members in a session, or API tokens with the applications:read scope. A client portal user may read their own client's applications (個人番号 stays masked). 404 not_found for unknown ids and ids of another tenant, 403 unmask_not_allowed for unmask with an API token or by a client portal user.",
    ].join('\n\n'),
  })
  @Get(':id')
  @ClientPortal()
  @Scopes('applications:read')
  @ApiOkResponse({ type: ApplicationDetail })
  @ApiProblems({ 403: '`unmask_not_allowed`: unmask with an API token or by a client portal user.', 404: '`not_found`.' })
  get(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Query() q: GetApplicationQuery): Promise<ApplicationDetail> {
    return this.applications.get(tenantOf(c), c, id, q.unmask === 'sensitive');
  }

  @ApiOperation({
    summary: '申請を変更 / Update an application',
    description: [
      '下書き・提出準備完了・補正待ちの申請の件名・事業所・フォームを変更します（version が必要。フォームは途中まででも保存でき、提出準備完了の申請は下書きに戻ります）。型や形式の合わない項目は 400 validation_failed、version が古ければ 409 version_conflict、編集できない状態なら 409 not_editable、補正待ちで事業所を変えると 409 office_locked、存在しない事業所は 404 not_found です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      'Changes the title, office or form of an application in draft, ready or correction_requested (version required; a partial form saves, and a ready application goes back to draft). 400 validation_failed for fields of the wrong type or format, 409 version_conflict for a stale version, 409 not_editable in other states, 409 office_locked for a new office while correction_requested, 404 not_found for an unknown application or office. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @Patch(':id')
  @Scopes('applications:write')
  @ApiOkResponse({ type: ApplicationDetail })
  @ApiProblems({ 404: '`not_found`.', 409: '`version_conflict`, `not_editable`, `office_locked`.' })
  update(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: UpdateApplicationDto): Promise<ApplicationDetail> {
    return this.applications.update(tenantOf(c), c, id, dto);
  }

  @ApiOperation({
    summary: '申請を削除 / Delete an application',
    description: [
      '下書きまたは提出準備完了の申請を削除します。version を指定すると、古い場合に 409 version_conflict です。それ以外の状態は 409 not_editable、他の契約のIDや存在しないIDは 404 not_found です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      'Deletes an application in draft or ready. With version, a stale one answers 409 version_conflict; other states answer 409 not_editable; unknown ids and ids of another tenant 404 not_found. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @Delete(':id')
  @HttpCode(204)
  @Scopes('applications:write')
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems({ 404: '`not_found`.', 409: '`version_conflict`, `not_editable`.' })
  @ApiQuery({ name: 'version', required: false, type: String, description: 'when given, a stale version answers 409' })
  async remove(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Query() q: DeleteApplicationQuery): Promise<void> {
    await this.applications.delete(tenantOf(c), c, id, q.version);
  }

  @ApiOperation({
    summary: '入力チェック / Check the form',
    description: [
      '申請のフォームを手続のすべての規則で確かめ、違反をすべて返します（valid、errors）。下書きで違反がなければ提出準備完了（ready）になります。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。他の契約のIDや存在しないIDは 404 not_found です。',
      'Checks the form against every rule of the procedure and answers each one it breaks (valid, errors). A draft without errors becomes ready. Administrators and members in a session, or API tokens with the applications:write scope. 404 not_found for unknown ids and ids of another tenant.',
    ].join('\n\n'),
  })
  @Post(':id/validate')
  @HttpCode(200)
  @Scopes('applications:write')
  @ApiOkResponse({ type: ValidationResultView })
  @ApiProblems({ 404: '`not_found`.' })
  validate(@CurrentCaller() c: Caller, @Param() { id }: IdParam): Promise<ValidationResultView> {
    return this.applications.validate(tenantOf(c), c, id);
  }
}
