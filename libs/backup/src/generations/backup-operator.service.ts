import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditAction, AuditService } from '@charlotte/audit';
import { AlertsService } from '@charlotte/notifications';
import { recordOnBothChains } from '../audit-both';
import { tenantByCode } from '../tenant-lookup';
import { backupFailedCause } from './backup.jobs';
import { GenerationsService, safeReason } from './generations.service';
import { GenerationKind, GenerationView } from './manifest';
import { RestoreService, RestoreView } from './restore.service';

/**
 * What the operator API and CLI do, by tenant code, each action audited on the
 * platform chain (and the tenant's): `backup.requested`, `backup.completed`,
 * `backup.failed` (category operation). Answers carry counts, sizes and
 * hashes only, never tenant content.
 */
@Injectable()
export class BackupOperatorService {
  private readonly logger = new Logger('BackupOperator');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly generations: GenerationsService,
    private readonly restores: RestoreService,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
  ) {}

  /** A generation of the tenant succeeded: a `backup.failed` alert of that tenant is over. */
  private async succeeded(tenantId: string, g: GenerationView): Promise<void> {
    await this.record('backup.completed', 'success', tenantId, g.id, { size: g.size ?? 0 });
    await this.alerts.clear(backupFailedCause(tenantId));
  }

  listOwn(tenantId: string): Promise<GenerationView[]> {
    return this.generations.list(tenantId);
  }

  async list(code: string): Promise<GenerationView[]> {
    return this.generations.list((await tenantByCode(this.ds, code)).id);
  }

  private async record(
    action: AuditAction,
    outcome: 'success' | 'failure',
    tenantId: string,
    id: string,
    details: Record<string, string | number> = {},
  ) {
    await recordOnBothChains(this.audit, tenantId, {
      category: 'operation',
      action,
      outcome,
      target: { type: 'backup', id },
      details: { tenantId, ...details },
    });
  }

  /** 202: the generation runs in the background; its row shows progress and state. */
  async startBackup(code: string, kind: GenerationKind): Promise<{ id: string }> {
    const tenant = await tenantByCode(this.ds, code);
    const { id, done } = await this.generations.start(tenant.id, kind);
    await this.record('backup.requested', 'success', tenant.id, id, { kind });
    void done
      .then(
        (g) => this.succeeded(tenant.id, g),
        (e: unknown) => {
          this.logger.warn({ message: 'backup failed', tenantId: tenant.id, reason: safeReason(e) });
          return this.record('backup.failed', 'failure', tenant.id, id, { reason: safeReason(e) });
        },
      )
      .catch(() => undefined);
    return { id };
  }

  /** An awaited generation (CLI). */
  async runBackup(code: string, kind: GenerationKind): Promise<GenerationView> {
    const tenant = await tenantByCode(this.ds, code);
    const { id, done } = await this.generations.start(tenant.id, kind);
    await this.record('backup.requested', 'success', tenant.id, id, { kind });
    try {
      const g = await done;
      await this.succeeded(tenant.id, g);
      return g;
    } catch (e) {
      await this.record('backup.failed', 'failure', tenant.id, id, { reason: safeReason(e) });
      throw e;
    }
  }

  async startRestore(code: string, generationId: string): Promise<RestoreView> {
    const tenant = await tenantByCode(this.ds, code);
    const { view, done } = await this.restores.start(tenant.id, generationId);
    done.catch(() => undefined);
    return view;
  }

  async runRestore(code: string, generationId: string): Promise<RestoreView> {
    const tenant = await tenantByCode(this.ds, code);
    return this.restores.run(tenant.id, generationId);
  }

  async restoreProgress(code: string, id: string): Promise<RestoreView> {
    return this.restores.get((await tenantByCode(this.ds, code)).id, id);
  }
}
