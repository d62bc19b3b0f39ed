import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiProblems, ClientPortal, CurrentPrincipal, Principal, Roles, tenantOf } from '@charlotte/core';
import { UserIdParam } from '../users/dto/user.dto';
import { IssueKeyfileDto, KeyfileResetView, KeyFileView, KeyListDto, KeyParams, OwnKeyParam } from './dto/keyfile.dto';
import { KeyfilesService } from './keyfiles.service';

/** Every user (and operator) lists and revokes their own keys. */
@ApiTags('keyfiles')
@ApiCookieAuth()
@Controller('me/keyfiles')
export class MyKeyfilesController {
  constructor(private readonly keys: KeyfilesService) {}

  @ApiOperation({
    summary: '自分のキーファイル一覧 / List my key files',
    description: [
      'ログイン中のユーザー自身のキー（ラベル・作成日時・最終使用日時・失効日時。秘密鍵は含みません）を返します。運用者を含むすべてのユーザーのセッションで使えます。APIトークンでは使えません。',
      "The logged-in user's own keys: label, creation, last use, revocation (never a private key). Any user's session, operators included; not for API tokens.",
    ].join('\n\n'),
  })
  @Get()
  @ClientPortal()
  @ApiOkResponse({ type: KeyListDto })
  async list(@CurrentPrincipal() p: Principal): Promise<KeyListDto> {
    return { items: await this.keys.list(p.tenantId, p.userId) };
  }

  @ApiOperation({
    summary: '自分のキーファイルを失効 / Revoke one of my key files',
    description: [
      '自分のキーを1つ失効させ、そのキーで開いたセッションを終了します。運用者を含むすべてのユーザーのセッションで使えます。自分の有効なキーでなければ 404 not_found です。',
      "Revokes one of the user's own keys and ends the sessions opened with it. Any user's session, operators included. 404 not_found when it is not an active key of the user.",
    ].join('\n\n'),
  })
  @Delete(':keyId')
  @ClientPortal()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiProblems({ 404: '`not_found`.' })
  revoke(@CurrentPrincipal() p: Principal, @Param() { keyId }: OwnKeyParam): Promise<void> {
    return this.keys.revoke(p.tenantId, p.userId, keyId, p.userId);
  }
}

/** Tenant administrators issue, list, revoke and reset the keys of their tenant's users. */
@ApiTags('keyfiles')
@ApiCookieAuth()
@Roles('admin')
@Controller('users/:id')
export class UserKeyfilesController {
  constructor(private readonly keys: KeyfilesService) {}

  @ApiOperation({
    summary: "ユーザーのキーファイル一覧 / List a user's key files",
    description: [
      '自分の契約のユーザー1人のキー（秘密鍵は含みません）を返します。テナント管理者のセッションのみです。他の契約のユーザーや存在しないユーザーは 404 not_found です。',
      "The keys of one user of the caller's tenant (never a private key). Tenant administrators in a session only. 404 not_found for unknown users and users of another tenant.",
    ].join('\n\n'),
  })
  @Get('keyfiles')
  @ApiOkResponse({ type: KeyListDto })
  @ApiProblems({ 404: '`not_found`.' })
  async list(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam): Promise<KeyListDto> {
    return { items: await this.keys.list(tenantOf(p), id) };
  }

  @ApiOperation({
    summary: 'ユーザーのキーファイルを発行 / Issue a key file for a user',
    description: [
      '新しい鍵ペアを作り、公開鍵を登録して、秘密鍵を含むキーファイル（*.charlotte-key.json）を一度だけ返します（Content-Disposition: attachment）。パスフレーズを指定すると秘密鍵を暗号化します。テナント管理者のセッションのみです。他の契約のユーザーや存在しないユーザーは 404 not_found です。',
      'Generates a key pair, registers its public key and answers the key file with the private key (*.charlotte-key.json) once, as an attachment (Content-Disposition). With a passphrase the private key is encrypted. Tenant administrators in a session only. 404 not_found for unknown users and users of another tenant.',
    ].join('\n\n'),
  })
  @Post('keyfiles')
  @ApiCreatedResponse({ type: KeyFileView, description: 'The key file itself, answered once (Content-Disposition: attachment).' })
  @ApiProblems({ 404: '`not_found`.' })
  async issue(
    @CurrentPrincipal() p: Principal,
    @Param() { id }: UserIdParam,
    @Body() dto: IssueKeyfileDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const file = await this.keys.issue(tenantOf(p), id, dto.label, dto.passphrase, p.userId);
    const name = `${file.tenant}-${file.email}.charlotte-key.json`.replace(/[^A-Za-z0-9@._-]/g, '_');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    res.setHeader('Cache-Control', 'no-store');
    return file;
  }

  @ApiOperation({
    summary: "ユーザーのキーファイルを失効 / Revoke a user's key file",
    description: [
      'ユーザーのキーを1つ失効させ、そのキーで開いたセッションを終了します。テナント管理者のセッションのみです。そのユーザーの有効なキーでなければ 404 not_found です。',
      'Revokes one key of a user and ends the sessions opened with it. Tenant administrators in a session only. 404 not_found when it is not an active key of that user of the tenant.',
    ].join('\n\n'),
  })
  @Delete('keyfiles/:keyId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiProblems({ 404: '`not_found`.' })
  revoke(@CurrentPrincipal() p: Principal, @Param() { id, keyId }: KeyParams): Promise<void> {
    return this.keys.revoke(tenantOf(p), id, keyId, p.userId);
  }

  @ApiOperation({
    summary: "キーファイルをリセット / Reset a user's key files",
    description: [
      'キーファイルを紛失したユーザーのために、すべてのキーを失効させ、すべてのセッションを終了し、次回ログイン時に新しいキーを登録できるようにします。テナント管理者のセッションのみです。他の契約のユーザーや存在しないユーザーは 404 not_found です。',
      'For a user who lost their key file: revokes every key, ends every session and lets the user enrol a new key at the next login. Tenant administrators in a session only. 404 not_found for unknown users and users of another tenant.',
    ].join('\n\n'),
  })
  @Post('keyfile-reset')
  @HttpCode(200)
  @ApiOkResponse({ type: KeyfileResetView })
  @ApiProblems({ 404: '`not_found`.' })
  async reset(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam): Promise<{ ok: true }> {
    await this.keys.reset(tenantOf(p), id, p.userId);
    return { ok: true };
  }
}
