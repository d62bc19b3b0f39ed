import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ConflictError, NotFoundError } from '@charlotte/core';
import type { ApplicationStatus } from './dto/application.dto';
import { EditGuardRegistry } from './extensions';

/** One `applications` row as the store reads it (declared once; every reader uses this type). */
export interface ApplicationRow {
  id: string;
  office_id: string;
  procedure_code: string;
  procedure_version: number;
  status: ApplicationStatus;
  title_sealed: Buffer;
  form_sealed: Buffer;
  version: number;
  created_at: Date;
  updated_at: Date;
  arrive_id: string | null;
  egov_status: string | null;
  failure_reason: string | null;
}

/** Before submission the user may still change or delete an application. */
export const EDITABLE: readonly ApplicationStatus[] = ['draft', 'ready'];
/** When e-Gov asks for a correction (補正), form, title and attachments are editable again, until the 補正 is sent. */
export const CORRECTABLE: readonly ApplicationStatus[] = [...EDITABLE, 'correction_requested'];

const COLUMNS = `id, office_id, procedure_code, procedure_version, status, title_sealed, form_sealed, version, created_at, updated_at,
              arrive_id, egov_status, failure_reason`;

/**
 * The one owner of the `applications` rows and their `application_events`:
 * reads (row, lock) and the editability rule (status plus the registered edit guards).
 */
@Injectable()
export class ApplicationStore {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly guards: EditGuardRegistry,
  ) {}

  /** The row of a tenant's application; 404 for another tenant's or an unknown id. */
  async row(tenantId: string, id: string, m: EntityManager | DataSource = this.ds): Promise<ApplicationRow> {
    const rows: ApplicationRow[] = await m.query(`SELECT ${COLUMNS} FROM applications WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    if (!rows[0]) throw new NotFoundError('application');
    return rows[0];
  }

  /** The row under FOR UPDATE in the caller's transaction: every status change of this application waits for it. */
  async lock(m: EntityManager, tenantId: string, id: string): Promise<ApplicationRow> {
    const rows: ApplicationRow[] = await m.query(`SELECT ${COLUMNS} FROM applications WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [
      tenantId,
      id,
    ]);
    if (!rows[0]) throw new NotFoundError('application');
    return rows[0];
  }

  /**
   * 404 for another tenant's or an unknown id; 409 not_editable once
   * submitted, except while e-Gov waits for a correction (補正); then the
   * registered edit guards decide (libs/filing: 409 action_in_progress while
   * the 補正 is on its way).
   */
  async assertEditable(
    tenantId: string,
    id: string,
    m: EntityManager | DataSource = this.ds,
    r?: { status: ApplicationStatus },
  ): Promise<void> {
    r ??= await this.row(tenantId, id, m);
    if (!CORRECTABLE.includes(r.status))
      throw new ConflictError('not_editable', `An application in status ${r.status} can no longer be changed.`);
    // In the caller's transaction (under its row lock): edits and the 補正 being sent exclude each other.
    await this.guards.check(m, tenantId, id, r.status);
  }
}
