import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller, CurrentCaller, Roles, Scopes, tenantOf } from '@charlotte/core';
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
@Roles('admin')
@Scopes('backups:read')
@Controller('backups')
export class BackupsController {
  constructor(private readonly backups: BackupOperatorService) {}

  @Get()
  @ApiOperation({ summary: "This tenant's backup generations, newest first." })
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
  @ApiOperation({ summary: 'Runs a generation of this tenant now (409 tenant_busy while a restore or deletion runs).' })
  @ApiAcceptedResponse({ type: StartedDto })
  start(@Param() { code }: TenantCodeParam, @Body() dto: StartBackupDto): Promise<StartedDto> {
    return this.backups.startBackup(code, dto.kind ?? 'daily');
  }

  @Get('backups')
  @ApiOkResponse({ type: GenerationListDto })
  async list(@Param() { code }: TenantCodeParam): Promise<GenerationListDto> {
    return { items: await this.backups.list(code) };
  }

  @Post('restore')
  @HttpCode(202)
  @ApiOperation({ summary: 'Verifies the generation, then replaces the tenant rows and blobs with it (in the background).' })
  @ApiAcceptedResponse({ type: RestoreDto })
  restore(@Param() { code }: TenantCodeParam, @Body() dto: StartRestoreDto): Promise<RestoreDto> {
    return this.backups.startRestore(code, dto.backupId);
  }

  @Get('restores/:id')
  @ApiOkResponse({ type: RestoreDto })
  progress(@Param() { code, id }: TenantRestoreParam): Promise<RestoreDto> {
    return this.backups.restoreProgress(code, id);
  }
}
