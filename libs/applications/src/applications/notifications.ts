import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotFoundError } from '@charlotte/core';
import { ApplicationInfoRegistry, DigestRegistry } from '@charlotte/notifications';
import { ProceduresService } from '@charlotte/procedures';

/**
 * What libs/notifications needs from applications, registered with it (the dependency stays
 * one-way): the procedure of an application for the filing mails (catalogue names only, never the
 * title or form content, which may name people), and a tenant's drafts for the daily digest.
 */
@Injectable()
export class ApplicationsNotifications implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly procedures: ProceduresService,
    private readonly info: ApplicationInfoRegistry,
    private readonly digest: DigestRegistry,
  ) {}

  onModuleInit(): void {
    this.info.register(async (m, tenantId, applicationId) => {
      const r: Array<{ procedure_code: string; procedure_version: number }> = await m.query(
        `SELECT procedure_code, procedure_version FROM applications WHERE tenant_id = $1 AND id = $2`,
        [tenantId, applicationId],
      );
      if (!r[0]) return undefined;
      try {
        const def = this.procedures.get(r[0].procedure_code, r[0].procedure_version);
        return { procedureName: def.name, procedureNameEn: def.nameEn || null };
      } catch (e) {
        // A definition no longer in the catalogue must not stop the notice: the mail goes without the name.
        if (e instanceof NotFoundError) return undefined;
        throw e;
      }
    });
    this.digest.register(async (tenantId) => {
      const r: Array<{ n: number; oldest: Date | null }> = await this.ds.query(
        `SELECT count(*)::int AS n, min(created_at) AS oldest FROM applications WHERE tenant_id = $1 AND status = 'draft'`,
        [tenantId],
      );
      return { drafts: r[0].n, oldestDraftAt: r[0].oldest };
    });
  }
}
