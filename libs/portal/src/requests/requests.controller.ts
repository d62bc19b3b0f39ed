import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ClientPortal, CurrentPrincipal, IdParam, Principal, Roles, tenantOf } from '@charlotte/core';
import { CreateRequestDto, ListRequestsQuery, RequestPage, RequestView } from './dto/request.dto';
import { RequestsService } from './requests.service';

/** 依頼 (requests) from the users of a 顧問先's portal to the office (sessions only). */
@ApiTags('requests')
@ApiCookieAuth()
@Roles('admin', 'member')
@Controller('requests')
export class RequestsController {
  constructor(private readonly requests: RequestsService) {}

  @Get()
  @ClientPortal()
  @ApiOperation({
    summary: '依頼の一覧 / List requests',
    description: [
      '顧問先からの依頼を新しい順に返します（status・clientId で絞り込み、limit・cursor でページ送り）。顧問先ポータルのユーザーには自分の顧問先の依頼、担当者には担当の顧問先の依頼、管理者にはすべてが返ります。',
      "Requests (依頼) from clients, newest first, filtered by status and clientId, page by page (limit, cursor). A client portal user gets their own client's, staff those of their assigned clients, admins all.",
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: RequestPage })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListRequestsQuery): Promise<RequestPage> {
    return this.requests.list(tenantOf(p), p, q);
  }

  @Post()
  @ClientPortal()
  @ApiOperation({
    summary: '依頼を送る / Send a request',
    description: [
      '顧問先ポータルのユーザーが事務所へ依頼（件名1〜200文字、本文1〜10000文字）を送ります。顧問先の担当者と管理者にお知らせが届きます。事務所のユーザーは 403 portal_users_only です。',
      "A client portal user sends a request (依頼; title 1-200 characters, body 1-10000) to the office; the client's staff and the admins get an お知らせ. Office users get 403 portal_users_only.",
    ].join('\n\n'),
  })
  @ApiCreatedResponse({ type: RequestView })
  @ApiProblems({ 403: '`portal_users_only`.' })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateRequestDto): Promise<RequestView> {
    return this.requests.create(tenantOf(p), p, dto);
  }

  @Post(':id/close')
  @ClientPortal()
  @HttpCode(200)
  @ApiOperation({
    summary: '依頼を完了にする / Close a request',
    description: [
      '依頼を完了にします（完了済みならそのまま返します）。その顧問先を担当する事務所のユーザー、管理者、またはその顧問先のポータルのユーザーが使えます。依頼した人にお知らせが届きます。見えない依頼や存在しないIDは 404 not_found です。',
      "Closes a request (a closed one is answered as it is). Office users who see the client, admins, or the client's portal users. The requester gets an お知らせ. 404 not_found for requests not visible to the caller and unknown ids.",
    ].join('\n\n'),
  })
  @ApiParam({ name: 'id', format: 'uuid', description: '依頼ID / request id' })
  @ApiOkResponse({ type: RequestView })
  @ApiProblems({ 404: '`not_found`.' })
  close(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<RequestView> {
    return this.requests.close(tenantOf(p), p, id);
  }
}
