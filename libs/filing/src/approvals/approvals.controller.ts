import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems, CurrentPrincipal, IdParam, Principal, Roles, tenantOf } from '@charlotte/core';
import { ApprovalsService } from './approvals.service';
import {
  ApprovalListView,
  ApprovalRoutesDto,
  ApprovalRoutesView,
  ApprovalView,
  ApproveDto,
  ListApprovalsQuery,
  SendBackDto,
} from './dto/approvals.dto';

/** The tenant's approval routes (承認フロー): administrators, session only. */
@ApiTags('approvals')
@ApiCookieAuth()
@Roles('admin')
@Controller('approval-routes')
export class ApprovalRoutesController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get()
  @ApiOperation({
    summary: '承認フローの取得 / Get the approval routes',
    description:
      '提出・補正・取下げの前に必要な承認フロー（対象の操作、承認ステップと承認者、全員/いずれか1人）を返します。\n\n' +
      'The approval routes required before submission, 補正 or 取下げ: the actions they apply to, the steps with their approvers, any/all.',
  })
  @ApiOkResponse({ type: ApprovalRoutesView })
  get(@CurrentPrincipal() p: Principal): Promise<ApprovalRoutesView> {
    return this.approvals.routes(tenantOf(p));
  }

  @Put()
  @ApiOperation({
    summary: '承認フローの保存 / Save the approval routes',
    description:
      '承認フローを一覧ごと置き換えます。承認者はこのテナントの有効なユーザーに限ります。進行中の承認は開始時のステップのまま進みます。\n\n' +
      'Replaces the whole list of routes. Approvers must be active users of the tenant; two routes of the same client cannot apply to the ' +
      'same action (400 validation_failed: approver_not_active, route_overlap). Approvals under way keep the steps they started with.',
  })
  @ApiOkResponse({ type: ApprovalRoutesView })
  @ApiBadRequestResponse({ description: '`validation_failed`' })
  put(@CurrentPrincipal() p: Principal, @Body() dto: ApprovalRoutesDto): Promise<ApprovalRoutesView> {
    return this.approvals.putRoutes(tenantOf(p), p.userId, dto);
  }
}

/** Approval requests: the approvers decide, the requester follows (session only). */
@ApiTags('approvals')
@ApiCookieAuth()
@Roles('admin', 'member')
@Controller('approvals')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get()
  @ApiOperation({
    summary: '承認依頼の一覧 / List approval requests',
    description:
      'assigned=me: 自分の判断を待っている承認依頼（古い順）。applicationId: その申請の承認依頼（新しい順）。指定なし: 承認依頼（新しい順）。' +
      '担当していない顧問先の申請の承認依頼は含みません。limit（1〜100、既定50）件ずつ、nextCursor で次のページを取得します。\n\n' +
      'assigned=me: the requests waiting for my decision, oldest first; applicationId: the requests of one application, newest first; ' +
      'neither: the requests of the tenant, newest first. Requests on applications of 顧問先 the caller does not see are left out. ' +
      'Pages of `limit` (1-100, default 50); `nextCursor` gives the next page.',
  })
  @ApiOkResponse({ type: ApprovalListView })
  @ApiProblems({ 400: '`validation_failed` (limit, cursor, applicationId).' })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListApprovalsQuery): Promise<ApprovalListView> {
    return this.approvals.list(tenantOf(p), p, q);
  }

  @Get(':id')
  @ApiOperation({
    summary: '承認依頼の取得 / Get an approval request',
    description:
      '承認依頼のステップ、各承認者の判断とコメントを返します。\n\nAn approval request with its steps, and each decision with its comment.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ApprovalView })
  @ApiProblems({ 404: '`not_found` (also for another tenant’s id, or an application of a 顧問先 the caller does not see).' })
  get(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<ApprovalView> {
    return this.approvals.get(tenantOf(p), p, id);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({
    summary: '承認 / Approve',
    description:
      '現在のステップを承認します。最後のステップが承認されると、依頼者の申請として提出（または補正・取下げ）が始まります（一度だけ）。\n\n' +
      'Approves the current step. When the last step is approved, the filing (or 補正, 取下げ) starts, once, as the requester’s own request.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ApprovalView })
  @ApiForbiddenResponse({ description: '`not_approver`, `self_approval_not_allowed`' })
  @ApiProblems({
    404: '`not_found` (another tenant’s id; an approver who no longer sees the 顧問先, or was disabled).',
    409: '`approval_not_pending`, `approval_already_decided`.',
  })
  approve(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Body() dto: ApproveDto): Promise<ApprovalView> {
    return this.approvals.approve(tenantOf(p), p, id, dto.comment || undefined);
  }

  @Post(':id/send-back')
  @HttpCode(200)
  @ApiOperation({
    summary: '差し戻し / Send back',
    description:
      'コメントを付けて依頼者に差し戻します。提出の承認依頼なら申請は下書きに戻ります。\n\n' +
      'Sends the request back to the requester with a comment; for a submission the application goes back to draft.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ApprovalView })
  @ApiForbiddenResponse({ description: '`not_approver`, `self_approval_not_allowed`' })
  @ApiProblems({
    404: '`not_found` (another tenant’s id; an approver who no longer sees the 顧問先, or was disabled).',
    409: '`approval_not_pending`.',
  })
  sendBack(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Body() dto: SendBackDto): Promise<ApprovalView> {
    return this.approvals.sendBack(tenantOf(p), p, id, dto.comment);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: '承認依頼の取り下げ / Withdraw an approval request',
    description:
      '依頼者本人が、判断待ちの承認依頼を取り下げます。提出の承認依頼なら申請は下書きに戻り、現在のステップの承認者にお知らせが届きます。\n\n' +
      'The requester withdraws their own pending approval request. For a submission the application goes back to draft; the approvers ' +
      'of the current step get a notice (お知らせ).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ApprovalView })
  @ApiProblems({
    403: '`not_requester`: only the requester can withdraw the request.',
    404: '`not_found` (also for another tenant’s id, or an application of a 顧問先 the caller does not see).',
    409: '`approval_not_pending`.',
  })
  cancel(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<ApprovalView> {
    return this.approvals.cancel(tenantOf(p), p, id);
  }
}
