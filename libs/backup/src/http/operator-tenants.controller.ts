import { Body, Controller, Get, Headers, HttpCode, Logger, Param, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCookieAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuditService } from '@charlotte/audit';
import { ApiProblems, Roles } from '@charlotte/core';
import { CertificatesService } from '../certificates/certificates.service';
import { ContractService } from '../contract/contract.service';
import { DeletionService } from '../deletion/deletion.service';
import {
  CancelTenantDto,
  CertificateIdParam,
  DeletionCertificateDto,
  DeletionJobDto,
  DeletionStartedDto,
  OperatorTenantDto,
  OperatorTenantListDto,
  TenantCodeParam,
} from './operator-tenants.dto';

/** Platform operators: contracts, cancellation, reinstatement, deletion and its certificate. Never tenant content. */
@ApiTags('operator')
@ApiCookieAuth()
@Roles('operator')
@Controller('operator')
export class OperatorTenantsController {
  private readonly logger = new Logger('OperatorTenants');

  constructor(
    private readonly contracts: ContractService,
    private readonly deletion: DeletionService,
    private readonly certificates: CertificatesService,
    private readonly audit: AuditService,
  ) {}

  @ApiOperation({
    summary: '契約の一覧 / List tenants',
    description: [
      'すべての契約（コード・名称・状態・解約日時・削除予定日時・削除日時）を返します。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。',
      'Every tenant: code, name, status, cancellation, deletion due date and deletion. Platform operators in a session only; never tenant content.',
    ].join('\n\n'),
  })
  @Get('tenants')
  @ApiOkResponse({ type: OperatorTenantListDto })
  async list(): Promise<OperatorTenantListDto> {
    return { items: await this.contracts.list() };
  }

  @ApiOperation({
    summary: '契約を取得 / Get a tenant',
    description: [
      '契約1件の状態を返します。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。存在しない契約コードは 404 not_found です。',
      'One tenant and its contract state. Platform operators in a session only; never tenant content. 404 not_found for an unknown tenant code.',
    ].join('\n\n'),
  })
  @Get('tenants/:code')
  @ApiOkResponse({ type: OperatorTenantDto })
  @ApiProblems({ 404: '`not_found`.' })
  get(@Param() { code }: TenantCodeParam): Promise<OperatorTenantDto> {
    return this.contracts.get(code);
  }

  @Post('tenants/:code/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: '契約を解約 / Cancel a contract',
    description: [
      'effectiveAt（省略時は現在）から契約を解約します。その時点から契約のログイン・セッション・APIトークンは 403 contract_cancelled になり、5営業日後の終わり（日本時間）に削除予定となります。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。有効な契約でなければ 409 tenant_not_active、削除済みは 409 tenant_deleted、過去の effectiveAt は 400 validation_failed、存在しない契約コードは 404 not_found です。',
      "Cancels the contract from effectiveAt (default now): from then on the tenant's logins, sessions and API tokens answer 403 contract_cancelled, and its deletion is due at the end (JST) of the 5th business day after. Platform operators in a session only; never tenant content. 409 tenant_not_active unless active, 409 tenant_deleted, 400 validation_failed for an effectiveAt in the past, 404 not_found for an unknown tenant code.",
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: OperatorTenantDto })
  @ApiProblems({ 404: '`not_found`.', 409: '`tenant_not_active`, `tenant_deleted`.' })
  cancel(@Param() { code }: TenantCodeParam, @Body() dto: CancelTenantDto): Promise<OperatorTenantDto> {
    return this.contracts.cancel(code, dto.effectiveAt ? new Date(dto.effectiveAt) : undefined);
  }

  @Post('tenants/:code/reinstate')
  @HttpCode(200)
  @ApiOperation({
    summary: '解約を取り消す / Reinstate a contract',
    description: [
      '解約した契約を、削除が始まる前であれば元に戻します。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。解約されていなければ 409 tenant_not_cancelled、削除が始まっていれば 409 deletion_started、削除済みは 409 tenant_deleted、存在しない契約コードは 404 not_found です。',
      'Reinstates a cancelled contract as long as its deletion has not started. Platform operators in a session only; never tenant content. 409 tenant_not_cancelled, deletion_started, tenant_deleted; 404 not_found for an unknown tenant code.',
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: OperatorTenantDto })
  @ApiProblems({ 404: '`not_found`.', 409: '`tenant_not_cancelled`, `deletion_started`, `tenant_deleted`.' })
  reinstate(@Param() { code }: TenantCodeParam): Promise<OperatorTenantDto> {
    return this.contracts.reinstate(code);
  }

  @Post('tenants/:code/delete-now')
  @HttpCode(202)
  @ApiOperation({
    summary: '契約を今すぐ削除 / Delete a cancelled tenant now',
    description: [
      '解約済みの契約の削除（バックアップ・ファイル・データ・鍵の消去と消去証明書の発行）を今すぐ始めます（202、削除はバックグラウンドで中断しても再開します。進み具合は tenants/{code}/deletion）。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。解約されていなければ 409 tenant_not_cancelled、存在しない契約コードは 404 not_found です。',
      'Starts the due deletion of a cancelled tenant now: backups, files, rows and keys are erased and a deletion certificate is issued (202; a durable background job that resumes after a crash; progress at tenants/{code}/deletion). Platform operators in a session only; never tenant content. 409 tenant_not_cancelled; 404 not_found for an unknown tenant code.',
    ].join('\n\n'),
  })
  @ApiAcceptedResponse({ type: DeletionStartedDto })
  @ApiProblems({ 404: '`not_found`.', 409: '`tenant_not_cancelled`.' })
  async deleteNow(@Param() { code }: TenantCodeParam): Promise<DeletionStartedDto> {
    const jobId = await this.deletion.request(code, 'operator');
    // In the background: the job is durable and resumable, its state is in deletion_jobs.
    void this.deletion.run(jobId).catch((e: unknown) =>
      this.logger.warn({
        message: 'deletion did not finish; the sweep resumes it',
        jobId,
        err: e instanceof Error ? e.message : String(e),
      }),
    );
    return { jobId };
  }

  @ApiOperation({
    summary: '削除の進み具合 / Deletion progress',
    description: [
      '契約の削除ジョブの状態（現在の段階・完了日時・消去証明書のID）を返します。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。存在しない契約や削除ジョブがない場合は 404 not_found です。',
      "The state of the tenant's deletion job: its step, completion and the deletion certificate id. Platform operators in a session only; never tenant content. 404 not_found for an unknown tenant or when no deletion was requested.",
    ].join('\n\n'),
  })
  @Get('tenants/:code/deletion')
  @ApiOkResponse({ type: DeletionJobDto })
  @ApiProblems({ 404: '`not_found`.' })
  deletionOf(@Param() { code }: TenantCodeParam): Promise<DeletionJobDto> {
    return this.deletion.jobOf(code);
  }

  @Get('deletion-certificates/:id')
  @ApiOperation({
    summary: '消去証明書 / Deletion certificate',
    description: [
      '署名付きの消去証明書（JSON）を返します。Accept: application/pdf では日本語のPDFを返します。閲覧は監査ログに記録します。プラットフォーム運用者のセッションのみで、契約の内容（申請や個人情報）は扱いません。存在しないIDは 404 not_found、PDF用の日本語フォントがサーバーにない場合は 503 certificate_font_missing です。',
      'The signed deletion certificate (JSON), or its Japanese PDF rendering with Accept: application/pdf; each read is audited. Platform operators in a session only; never tenant content. 404 not_found for an unknown id, 503 certificate_font_missing when the server lacks the Japanese font for the PDF.',
    ].join('\n\n'),
  })
  @ApiOkResponse({
    description: 'The certificate (Content-Disposition: attachment).',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(DeletionCertificateDto) } },
      'application/pdf': { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiExtraModels(DeletionCertificateDto)
  @ApiProblems({ 404: '`not_found`.', 503: '`certificate_font_missing` (PDF only; the JSON is available).' })
  async certificate(
    @Param() { id }: CertificateIdParam,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const cert = await this.certificates.get(id);
    const pdf = /application\/pdf/i.test(accept ?? '');
    const body = pdf ? await this.certificates.pdf(id) : undefined;
    await this.audit.record({
      category: 'access',
      action: 'deletion_certificate.read',
      outcome: 'success',
      tenantId: null,
      target: { type: 'deletion_certificate', id },
      details: { format: pdf ? 'pdf' : 'json' },
    });
    res.setHeader('Cache-Control', 'no-store');
    if (body) {
      res.setHeader('Content-Type', 'application/pdf');
      res.setHeader('Content-Disposition', `attachment; filename="deletion-certificate-${cert.tenant.code}.pdf"`);
      res.end(body);
      return;
    }
    res.setHeader('Content-Disposition', `attachment; filename="deletion-certificate-${cert.tenant.code}.json"`);
    res.json(cert);
  }
}
