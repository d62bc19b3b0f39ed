import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Caller, CurrentCaller, Roles, Scopes, tenantOf } from '@charlotte/core';
import { BackupOperatorService } from '../generations/backup-operator.service';
import {
  GenerationListDto,
  RestoreDto,
  StartBackupDto,
  StartedDto,
  StartRestoreDto,
  TenantCodeParam,
  TenantRestoreParam,
} from './backups.dto';

/** Tenant administrators (or tokens with backups:read) see their tenant's generations and their verification. */
@ApiTags('backups')
@ApiCookieAuth()
@ApiBearerAuth()
@Roles('admin')
@Scopes('backups:read')
@Controller('backups')
export class BackupsController {
  constructor(private readonly backups: BackupOperatorService) {}

  @Get()
  @ApiOperation({
    summary: "バックアップ一覧 / List my tenant's backups",
    description: [
      '自分の契約のバックアップ世代（種類・保管場所・作成日時・サイズ・SHA-256・件数・検証日時）を新しい順に返します。テナント管理者のセッション、または backups:read スコープのAPIトークンで使えます。',
      "The backup generations of the caller's tenant, newest first: kind, store, creation, size, SHA-256, counts and verification. Tenant administrators in a session, or API tokens with the backups:read scope.",
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: GenerationListDto })
  async list(@CurrentCaller() p: Caller): Promise<GenerationListDto> {
    return { items: await this.backups.listOwn(tenantOf(p)) };
  }
}

/** Platform operators back up and restore a tenant; they see counts, sizes and hashes, never tenant content. */
@ApiTags('operator')
@ApiCookieAuth()
@Roles('operator')
@Controller('operator/tenants/:code')
export class OperatorBackupsController {
  constructor(private readonly backups: BackupOperatorService) {}

  @Post('backups')
  @HttpCode(202)
  @ApiOperation({
    summary: 'バックアップを今すぐ取得 / Back up a tenant now',
    description: [
      '契約のバックアップ世代の作成を始めます（202、作成はバックグラウンド。kind は daily か weekly）。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。復元や削除の実行中は 409 tenant_busy、削除済みの契約は 409 tenant_deleted、存在しない契約コードは 404 not_found です。',
      'Starts a backup generation of the tenant (202; it runs in the background; kind daily or weekly). Platform operators in a session only; never tenant content. 409 tenant_busy while a restore or deletion runs, 409 tenant_deleted, 404 not_found for an unknown tenant code.',
    ].join('\n\n'),
  })
  @ApiAcceptedResponse({ type: StartedDto })
  @ApiProblems({ 404: '`not_found`: the tenant.', 409: '`tenant_busy`, `tenant_deleted`.' })
  start(@Param() { code }: TenantCodeParam, @Body() dto: StartBackupDto): Promise<StartedDto> {
    return this.backups.startBackup(code, dto.kind ?? 'daily');
  }

  @ApiOperation({
    summary: "契約のバックアップ一覧 / List a tenant's backups",
    description: [
      '契約のバックアップ世代を新しい順に返します（件数・サイズ・ハッシュのみ）。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。存在しない契約コードは 404 not_found です。',
      "The tenant's backup generations, newest first (counts, sizes and hashes). Platform operators in a session only; never tenant content. 404 not_found for an unknown tenant code.",
    ].join('\n\n'),
  })
  @Get('backups')
  @ApiOkResponse({ type: GenerationListDto })
  @ApiProblems({ 404: '`not_found`: the tenant.' })
  async list(@Param() { code }: TenantCodeParam): Promise<GenerationListDto> {
    return { items: await this.backups.list(code) };
  }

  @Post('restore')
  @HttpCode(202)
  @ApiOperation({
    summary: 'バックアップから復元 / Restore a tenant from a backup',
    description: [
      'バックアップ世代を検証（署名・SHA-256・復号・件数）してから、契約のデータとファイルをその内容で置き換えます（202、復元はバックグラウンド。進み具合は restores/{id}）。監査ログは置き換えません。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。復元や削除の実行中は 409 tenant_busy、削除済みの契約は 409 tenant_deleted、スキーマの版が違えば 409 backup_schema_mismatch、完成していない・検証できない世代は 422 backup_invalid、存在しない契約や世代は 404 not_found です。',
      "Verifies the generation (signature, SHA-256, decryption, counts), then replaces the tenant's rows and files with it (202; it runs in the background; progress at restores/{id}). Audit logs are not replaced. Platform operators in a session only; never tenant content. 409 tenant_busy, tenant_deleted, backup_schema_mismatch; 422 backup_invalid for a generation that is not complete or does not verify; 404 not_found for an unknown tenant or generation.",
    ].join('\n\n'),
  })
  @ApiAcceptedResponse({ type: RestoreDto })
  @ApiProblems({
    404: '`not_found`: the tenant or the generation.',
    409: '`tenant_busy`, `tenant_deleted`, `backup_schema_mismatch`.',
    422: '`backup_invalid`.',
  })
  restore(@Param() { code }: TenantCodeParam, @Body() dto: StartRestoreDto): Promise<RestoreDto> {
    return this.backups.startRestore(code, dto.backupId);
  }

  @ApiOperation({
    summary: '復元の進み具合 / Restore progress',
    description: [
      '復元1件の状態（実行中・完了・失敗）と件数を返します。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。存在しない契約や復元は 404 not_found です。',
      'The state (running, complete, failed) and counts of one restore. Platform operators in a session only; never tenant content. 404 not_found for an unknown tenant or restore.',
    ].join('\n\n'),
  })
  @Get('restores/:id')
  @ApiOkResponse({ type: RestoreDto })
  @ApiProblems({ 404: '`not_found`.' })
  progress(@Param() { code, id }: TenantRestoreParam): Promise<RestoreDto> {
    return this.backups.restoreProgress(code, id);
  }
}
