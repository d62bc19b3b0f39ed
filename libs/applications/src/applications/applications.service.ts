import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { Caller, ConflictError, decodeCursor, DomainError, encodeCursor, ValidationFailedError } from '@charlotte/core';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import { ProceduresService } from '@charlotte/procedures';
import { AttachmentsService } from '../attachments/attachments.service';
import { OfficesService } from '../offices/offices.service';
import {
  ApplicationDetail,
  ApplicationListView,
  ApplicationStatus,
  ApplicationSummary,
  CreateApplicationDto,
  ListApplicationsQuery,
  TimelineEntry,
  UpdateApplicationDto,
  ValidationResultView,
} from './dto/application.dto';
import { actorOf } from './actor';
import { ApplicationRow, ApplicationStore, EDITABLE } from './application.store';
import { DetailPartRegistry } from './extensions';

const TITLE = 'application.title';
const FORM = 'application.form';
type SummaryRow = Pick<
  ApplicationRow,
  'id' | 'office_id' | 'procedure_code' | 'procedure_version' | 'status' | 'title_sealed' | 'version' | 'created_at' | 'updated_at'
>;

/**
 * Applications (申請) of a tenant: drafts edited until valid (`ready`), with
 * title and form sealed (AAD = tenant, purpose, application id), optimistic
 * concurrency on every change, a status timeline, and audit events that carry
 * codes only (never form content).
 */
@Injectable()
export class ApplicationsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly sealing: SealingService,
    private readonly procedures: ProceduresService,
    private readonly offices: OfficesService,
    private readonly audit: AuditService,
    private readonly store: ApplicationStore,
    private readonly attachments: AttachmentsService,
    private readonly detailParts: DetailPartRegistry,
    rotation: KeyRotationService,
  ) {
    // A tenant key rotation re-encrypts these too (attachment blobs: see the note on issue 7).
    rotation.register({ table: 'applications', column: 'title_sealed', purpose: TITLE });
    rotation.register({ table: 'applications', column: 'form_sealed', purpose: FORM });
    rotation.register({ table: 'offices', column: 'data_sealed', purpose: 'office' });
    rotation.register({ table: 'attachments', column: 'name_sealed', purpose: 'attachment.name' });
  }

  private async summary(tenantId: string, r: SummaryRow): Promise<ApplicationSummary> {
    return {
      id: r.id,
      title: await this.sealing.openString(tenantId, TITLE, r.id, r.title_sealed),
      procedureCode: r.procedure_code,
      procedureVersion: r.procedure_version,
      officeId: r.office_id,
      status: r.status,
      version: r.version,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  private async event(
    m: EntityManager | DataSource,
    tenantId: string,
    applicationId: string,
    kind: string,
    actor: string | null,
    change: { from?: ApplicationStatus; to?: ApplicationStatus } = {},
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await m.query(
      `INSERT INTO application_events (tenant_id, application_id, kind, from_status, to_status, actor, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [tenantId, applicationId, kind, change.from ?? null, change.to ?? null, actor, JSON.stringify(details)],
    );
  }

  /** Draft rules: the form may be partial, but every field present must have the right type and format. */
  private checkDraft(procedureCode: string, version: number | undefined, form: Record<string, unknown>) {
    const def = this.procedures.get(procedureCode, version);
    const errors = this.procedures.validate(def, form, 'draft');
    if (errors.length)
      throw new ValidationFailedError(
        errors.map((e) => ({ field: `form.${e.field}`, message: e.message, code: e.code })),
        'The form has fields of the wrong type or format.',
      );
    return def;
  }

  async create(tenantId: string, caller: Caller, dto: CreateApplicationDto): Promise<ApplicationDetail> {
    const form = dto.form ?? {};
    if (!this.procedures.has(dto.procedureCode))
      throw new ValidationFailedError([{ field: 'procedureCode', message: `unknown procedure ${dto.procedureCode}` }]);
    const def = this.checkDraft(dto.procedureCode, undefined, form);
    const stored = this.procedures.normalize(def, form);
    await this.offices.assertExists(tenantId, dto.officeId);
    const id = randomUUID();
    const actor = actorOf(caller);
    const [title, sealedForm] = await Promise.all([
      this.sealing.seal(tenantId, TITLE, id, dto.title.trim()),
      this.sealing.seal(tenantId, FORM, id, JSON.stringify(stored)),
    ]);
    await this.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO applications (id, tenant_id, office_id, procedure_code, procedure_version, title_sealed, form_sealed, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
        [id, tenantId, dto.officeId, def.code, def.version, title, sealedForm, actor],
      );
      await this.event(m, tenantId, id, 'created', actor, { to: 'draft' });
    });
    await this.audit.record({
      category: 'operation',
      action: 'application.created',
      outcome: 'success',
      tenantId,
      target: { type: 'application', id },
      details: { procedure: def.code, version: def.version },
    });
    return this.get(tenantId, caller, id, false);
  }

  async list(tenantId: string, q: ListApplicationsQuery): Promise<ApplicationListView> {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, ['c', 'i'] as const);
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.status) add('status = ?', q.status);
    if (q.officeId) add('office_id = ?', q.officeId);
    if (q.procedure) add('procedure_code = ?', q.procedure);
    // Dates are the user's (JST) calendar days.
    if (q.from) add(`created_at >= (?::date)::timestamp AT TIME ZONE 'Asia/Tokyo'`, q.from);
    if (q.to) add(`created_at < ((?::date) + 1)::timestamp AT TIME ZONE 'Asia/Tokyo'`, q.to);
    if (after) {
      params.push(after.c, after.i);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows: Array<SummaryRow & { c: string }> = await this.ds.query(
      `SELECT id, office_id, procedure_code, procedure_version, status, title_sealed, version, created_at, updated_at,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS c
         FROM applications WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    // Only the titles of the rows returned are opened.
    const items: ApplicationSummary[] = [];
    for (const r of page) items.push(await this.summary(tenantId, r));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ c: last.c, i: last.id }) : null };
  }

  /** See ApplicationStore.assertEditable (kept here for the services of this lib that already call it). */
  assertEditable(tenantId: string, id: string, m: EntityManager | DataSource = this.ds, r?: { status: ApplicationStatus }): Promise<void> {
    return this.store.assertEditable(tenantId, id, m, r);
  }

  async get(tenantId: string, caller: Caller, id: string, unmask: boolean): Promise<ApplicationDetail> {
    if (unmask && caller.kind !== 'session')
      throw new DomainError(403, 'unmask_not_allowed', 'Forbidden', 'Only a logged-in user of this tenant can see 個人番号 unmasked.');
    const r = await this.store.row(tenantId, id);
    const def = this.procedures.get(r.procedure_code, r.procedure_version);
    const form = JSON.parse(await this.sealing.openString(tenantId, FORM, id, r.form_sealed)) as Record<string, unknown>;
    const events: Array<{
      at: Date;
      kind: string;
      from_status: string | null;
      to_status: string | null;
      actor: string | null;
      details: Record<string, unknown>;
    }> = await this.ds.query(
      `SELECT at, kind, from_status, to_status, actor, details FROM application_events WHERE tenant_id = $1 AND application_id = $2 ORDER BY id`,
      [tenantId, id],
    );
    const timeline: TimelineEntry[] = events.map((e) => ({
      at: new Date(e.at).toISOString(),
      kind: e.kind,
      fromStatus: e.from_status,
      toStatus: e.to_status,
      actor: e.actor,
      details: e.details,
    }));
    const files = await this.attachments.list(tenantId, id);
    if (unmask)
      await this.audit.record({
        category: 'access',
        action: 'application.sensitive_viewed',
        outcome: 'success',
        tenantId,
        target: { type: 'application', id },
      });
    const detail = {
      ...(await this.summary(tenantId, r)),
      // Parts other libs registered (libs/filing: arriveId, egovStatus, failureReason, egovNotices, lastAction).
      ...(await this.detailParts.render(tenantId, {
        id,
        status: r.status,
        arriveId: r.arrive_id,
        egovStatus: r.egov_status,
        failureReason: r.failure_reason,
      })),
      form: unmask ? form : this.procedures.mask(def, form),
      masked: !unmask,
      timeline,
      attachments: files,
    };
    return detail as ApplicationDetail;
  }

  async update(tenantId: string, caller: Caller, id: string, dto: UpdateApplicationDto): Promise<ApplicationDetail> {
    const actor = actorOf(caller);
    const changes: string[] = [];
    await this.ds.transaction(async (m) => {
      const r = await this.store.lock(m, tenantId, id);
      if (r.version !== dto.version)
        throw new ConflictError('version_conflict', 'The application was changed by someone else; reload it and try again.');
      await this.assertEditable(tenantId, id, m, r);
      if (r.status === 'correction_requested' && dto.officeId !== undefined && dto.officeId !== r.office_id)
        throw new ConflictError('office_locked', 'The office (事業所) of a filed application cannot change; a 補正 corrects the form.');
      const sets: string[] = [];
      const params: unknown[] = [tenantId, id];
      const set = (col: string, v: unknown) => {
        params.push(v);
        sets.push(`${col} = $${params.length}`);
      };
      if (dto.form !== undefined) {
        const def = this.checkDraft(r.procedure_code, r.procedure_version, dto.form);
        set('form_sealed', await this.sealing.seal(tenantId, FORM, id, JSON.stringify(this.procedures.normalize(def, dto.form))));
        changes.push('form');
      }
      if (dto.title !== undefined) {
        set('title_sealed', await this.sealing.seal(tenantId, TITLE, id, dto.title.trim()));
        changes.push('title');
      }
      if (dto.officeId !== undefined && dto.officeId !== r.office_id) {
        await this.offices.assertExists(tenantId, dto.officeId);
        set('office_id', dto.officeId);
        changes.push('office');
      }
      // A change after validation needs a new validation before submission.
      const back = r.status === 'ready' && changes.length > 0;
      if (back) set('status', 'draft');
      set('updated_by', actor);
      await m.query(
        `UPDATE applications SET ${sets.join(', ')}, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
        params,
      );
      await this.event(m, tenantId, id, back ? 'status' : 'updated', actor, back ? { from: 'ready', to: 'draft' } : {}, { changes });
    });
    await this.audit.record({
      category: 'operation',
      action: 'application.updated',
      outcome: 'success',
      tenantId,
      target: { type: 'application', id },
      details: { changes },
    });
    return this.get(tenantId, caller, id, false);
  }

  /** Deletes a draft (or ready) application, its attachments' rows, then their stored files. */
  async delete(tenantId: string, id: string, expectedVersion?: number): Promise<void> {
    const blobKeys = await this.ds.transaction(async (m) => {
      const r = await this.store.lock(m, tenantId, id);
      if (expectedVersion !== undefined && r.version !== expectedVersion)
        throw new ConflictError('version_conflict', 'The application was changed by someone else; reload it and try again.');
      if (!EDITABLE.includes(r.status))
        throw new ConflictError('not_editable', `An application in status ${r.status} can no longer be deleted.`);
      const keys: Array<{ blob_key: string }> = await m.query(
        `SELECT blob_key FROM attachments WHERE tenant_id = $1 AND application_id = $2`,
        [tenantId, id],
      );
      await m.query(`DELETE FROM applications WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
      return keys.map((k) => k.blob_key);
    });
    await this.audit.record({
      category: 'operation',
      action: 'application.deleted',
      outcome: 'success',
      tenantId,
      target: { type: 'application', id },
      details: { attachments: blobKeys.length },
    });
    await this.attachments.deleteBlobs(blobKeys);
  }

  /** Every rule the form breaks, at once; a valid draft becomes `ready`. */
  async validate(tenantId: string, caller: Caller, id: string): Promise<ValidationResultView> {
    const actor = actorOf(caller);
    const out = await this.ds.transaction(async (m) => {
      const r = await this.store.lock(m, tenantId, id);
      const def = this.procedures.get(r.procedure_code, r.procedure_version);
      const form = JSON.parse(await this.sealing.openString(tenantId, FORM, id, r.form_sealed)) as Record<string, unknown>;
      const errors = this.procedures.validate(def, form, 'complete');
      let status = r.status;
      let version = r.version;
      if (errors.length === 0 && r.status === 'draft') {
        status = 'ready';
        version = r.version + 1;
        await m.query(
          `UPDATE applications SET status = 'ready', version = version + 1, updated_at = now(), updated_by = $3 WHERE tenant_id = $1 AND id = $2`,
          [tenantId, id, actor],
        );
        await this.event(m, tenantId, id, 'status', actor, { from: 'draft', to: 'ready' });
      } else {
        await this.event(m, tenantId, id, 'validated', actor, {}, { errors: errors.length });
      }
      return { valid: errors.length === 0, errors, status, version };
    });
    await this.audit.record({
      category: 'operation',
      action: 'application.validated',
      outcome: 'success',
      tenantId,
      target: { type: 'application', id },
      details: { valid: out.valid, errors: out.errors.length, status: out.status },
    });
    return out;
  }
}
