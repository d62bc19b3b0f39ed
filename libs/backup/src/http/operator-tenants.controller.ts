import { Body, Controller, Get, Headers, HttpCode, Logger, Param, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuditService } from '@charlotte/audit';
import { Roles } from '@charlotte/core';
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

  @Get('tenants')
  @ApiOkResponse({ type: OperatorTenantListDto })
  async list(): Promise<OperatorTenantListDto> {
    return { items: await this.contracts.list() };
  }

  @Get('tenants/:code')
  @ApiOkResponse({ type: OperatorTenantDto })
  get(@Param() { code }: TenantCodeParam): Promise<OperatorTenantDto> {
    return this.contracts.get(code);
  }

  @Post('tenants/:code/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancels the contract from effectiveAt (default now); 409 tenant_not_active unless active.' })
  @ApiOkResponse({ type: OperatorTenantDto })
  cancel(@Param() { code }: TenantCodeParam, @Body() dto: CancelTenantDto): Promise<OperatorTenantDto> {
    return this.contracts.cancel(code, dto.effectiveAt ? new Date(dto.effectiveAt) : undefined);
  }

  @Post('tenants/:code/reinstate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reinstates a cancelled contract until its deletion has started.' })
  @ApiOkResponse({ type: OperatorTenantDto })
  reinstate(@Param() { code }: TenantCodeParam): Promise<OperatorTenantDto> {
    return this.contracts.reinstate(code);
  }

  @Post('tenants/:code/delete-now')
  @HttpCode(202)
  @ApiOperation({ summary: 'Runs the due deletion now (only when cancelled); progress at GET tenants/:code/deletion.' })
  @ApiAcceptedResponse({ type: DeletionStartedDto })
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

  @Get('tenants/:code/deletion')
  @ApiOkResponse({ type: DeletionJobDto })
  deletionOf(@Param() { code }: TenantCodeParam): Promise<DeletionJobDto> {
    return this.deletion.jobOf(code);
  }

  @Get('deletion-certificates/:id')
  @ApiOperation({ summary: 'The signed certificate (JSON), or its Japanese PDF rendering with Accept: application/pdf.' })
  @ApiProduces('application/json', 'application/pdf')
  @ApiOkResponse({ type: DeletionCertificateDto })
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
