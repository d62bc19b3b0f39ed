import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { Caller, decodeCursor, encodeCursor, ValidationFailedError } from '@charlotte/core';
import { KeyRotationService } from '@charlotte/crypto';
import { addDays, ProceduresService, todayInJapan } from '@charlotte/procedures';
import { AttachmentsService } from '../attachments/attachments.service';
import {
  ApplicationDetail,
  ApplicationListView,
  ApplicationSummary,
  CreateApplicationDto,
  ListApplicationsQuery,
  TimelineEntry,
  UpdateApplicationDto,
  ValidationResultView,
} from './dto/application.dto';
import { actorOf } from './actor';
import { PURPOSE } from '../sealing-purposes';
import { ApplicationChanges, ApplicationStore, ApplicationSummaryRow, EDITABLE, NOT_FILED } from './application.store';
import { DetailPartRegistry } from './extensions';
import { ApplicationsErrors } from '../errors';
import { ClientAccessService } from '../clients/client-access.service';
import { ClientsService } from '../clients/clients.service';

/** Draft errors a saved draft may carry: text typed into a number or date field. */
const KEPT_AS_TYPED = new Set(['invalid_type', 'date_format', 'invalid_date']);
/** Longer than any number or date anyone types: refused, so a draft stays bounded. */
const KEPT_MAX_LENGTH = 64;

function keptAsTyped(error: { code: string }, value: unknown): boolean {
  return KEPT_AS_TYPED.has(error.code) && typeof value === 'string' && [...value].length <= KEPT_MAX_LENGTH;
}

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
    private readonly procedures: ProceduresService,
    private readonly audit: AuditService,
    private readonly store: ApplicationStore,
    private readonly attachments: AttachmentsService,
    private readonly detailParts: DetailPartRegistry,
    private readonly clientAccess: ClientAccessService,
    private readonly clients: ClientsService,
    rotation: KeyRotationService,
  ) {
    // A tenant key rotation re-encrypts these too (attachment blobs: see the note on issue 7).
    rotation.register({ table: 'applications', column: 'title_sealed', purpose: PURPOSE.applicationTitle });
    rotation.register({ table: 'applications', column: 'form_sealed', purpose: PURPOSE.applicationForm });
    rotation.register({ table: 'offices', column: 'data_sealed', purpose: PURPOSE.office });
    rotation.register({ table: 'attachments', column: 'name_sealed', purpose: PURPOSE.attachmentName });
  }

  /** Past its filing deadline (before today in Japan) and still not filed. */
  static isOverdue(r: Pick<ApplicationSummaryRow, 'due_date' | 'status'>, today = todayInJapan()): boolean {
    return r.due_date !== null && r.due_date < today && NOT_FILED.includes(r.status);
  }

  private async summary(
    tenantId: string,
    r: ApplicationSummaryRow,
    clientId: string | null,
    names: Map<string, string>,
    today = todayInJapan(),
  ): Promise<ApplicationSummary> {
    return {
      id: r.id,
      title: await this.store.openTitle(tenantId, r),
      procedureCode: r.procedure_code,
      procedureVersion: r.procedure_version,
      officeId: r.office_id,
      clientId,
      clientName: clientId ? (names.get(clientId) ?? null) : null,
      status: r.status,
      version: r.version,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      dueDate: r.due_date,
      overdue: ApplicationsService.isOverdue(r, today),
    };
  }

  /**
   * Draft rules: the form may be partial and may hold what the user typed
   * while it does not fit yet (「25万」 in 報酬月額): such a value is kept as
   * typed, its error travels with the application (`fieldErrors`) and
   * 入力チェック refuses it, so one bad field never stops the rest from saving.
   * What no one types stays refused (400): unknown fields, JSON of the wrong
   * type (a number for a name), control characters and overlong values (they
   * bound what a draft may store and keep logs and the XML clean).
   * The input is first brought to canonical spelling (全角数字 → 半角, 半角カナ
   * → 全角, spaces), as the offices' identifiers are.
   */
  private draftForm(procedureCode: string, version: number | undefined, input: Record<string, unknown>) {
    const def = this.procedures.get(procedureCode, version);
    const form = this.procedures.normalizeInput(def, input);
    const refused = this.procedures.validate(def, form, 'draft').filter((e) => !keptAsTyped(e, form[e.field]));
    if (refused.length)
      throw ApplicationsErrors.formInvalid(refused.map((e) => ({ field: `form.${e.field}`, message: e.message, code: e.code })));
    return { def, form };
  }

  async create(tenantId: string, caller: Caller, dto: CreateApplicationDto): Promise<ApplicationDetail> {
    const form = dto.form ?? {};
    if (!this.procedures.has(dto.procedureCode))
      throw new ValidationFailedError([
        { field: 'procedureCode', code: 'unknown_procedure', message: `unknown procedure ${dto.procedureCode}` },
      ]);
    const draft = this.draftForm(dto.procedureCode, undefined, form);
    const def = draft.def;
    const stored = this.procedures.normalize(def, draft.form);
    // 404 for an office of another tenant or of a client not assigned to the caller; 403 right_missing without `draft`.
    await this.clientAccess.office(tenantId, await this.clientAccess.of(caller), dto.officeId, 'draft');
    const id = randomUUID();
    const actor = actorOf(caller);
    const [title, sealedForm] = await Promise.all([
      this.store.sealTitle(tenantId, id, dto.title.trim()),
      this.store.sealForm(tenantId, id, stored),
    ]);
    await this.ds.transaction((m) =>
      this.store.insert(
        m,
        {
          id,
          tenantId,
          officeId: dto.officeId,
          procedureCode: def.code,
          procedureVersion: def.version,
          title,
          form: sealedForm,
          dueDate: this.procedures.dueDate(def, stored),
        },
        actor,
      ),
    );
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

  /** Titles of a tenant's applications by id (unsealed for that tenant only): the audit log names its events with them. */
  titlesOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    return this.store.titlesOf(tenantId, ids);
  }

  /** The status board: every application the caller sees, across clients, filterable by client, office, procedure and status. */
  async list(tenantId: string, caller: Caller, q: ListApplicationsQuery): Promise<ApplicationListView> {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, ['c', 'i'] as const);
    const today = todayInJapan();
    const rows = await this.store.page(tenantId, {
      access: await this.clientAccess.of(caller),
      clientId: q.clientId,
      status: q.status,
      due: q.due === 'overdue' ? { today } : q.due === 'week' ? { today, until: addDays(today, 7) } : undefined,
      officeId: q.officeId,
      procedure: q.procedure,
      from: q.from,
      to: q.to,
      after,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    // Only the titles (and client names) of the rows returned are opened.
    const names = await this.clients.names(
      tenantId,
      page.flatMap((r) => (r.client_id ? [r.client_id] : [])),
    );
    const items: ApplicationSummary[] = [];
    for (const r of page) items.push(await this.summary(tenantId, r, r.client_id, names, today));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ c: last.c, i: last.id }) : null };
  }

  async get(tenantId: string, caller: Caller, id: string, unmask: boolean): Promise<ApplicationDetail> {
    // Tokens, and the users of a client's portal (read-only; 個人番号 stays masked for them), never unmask.
    if (unmask && (caller.kind !== 'session' || caller.role === 'client')) throw ApplicationsErrors.unmaskNotAllowed();
    // 404 outside the caller's clients, before anything is read.
    const { clientId } = await this.clientAccess.application(tenantId, await this.clientAccess.of(caller), id);
    const r = await this.store.row(tenantId, id);
    const def = this.procedures.get(r.procedure_code, r.procedure_version);
    const form = await this.store.openForm(tenantId, r);
    const events = await this.store.timeline(tenantId, id);
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
      ...(await this.summary(tenantId, r, clientId, await this.clients.names(tenantId, clientId ? [clientId] : []))),
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
      // What the saved draft holds as typed but of the wrong type (codes and labels only, never the value).
      fieldErrors: this.procedures
        .validate(def, form, 'draft')
        .map((e) => ({ field: e.field, code: e.code, message: e.message, messageEn: e.messageEn })),
      timeline,
      attachments: files,
    };
    return detail as ApplicationDetail;
  }

  async update(tenantId: string, caller: Caller, id: string, dto: UpdateApplicationDto): Promise<ApplicationDetail> {
    const actor = actorOf(caller);
    const changes: string[] = [];
    const access = await this.clientAccess.of(caller);
    await this.ds.transaction(async (m) => {
      // 404 outside the caller's clients before the row is read; 403 right_missing without `draft`.
      await this.clientAccess.application(tenantId, access, id, 'draft', m);
      const r = await this.store.lock(m, tenantId, id);
      if (r.version !== dto.version) throw ApplicationsErrors.versionConflict();
      await this.store.assertEditable(tenantId, id, m, r);
      if (r.status === 'correction_requested' && dto.officeId !== undefined && dto.officeId !== r.office_id)
        throw ApplicationsErrors.officeLocked();
      const set: ApplicationChanges = {};
      if (dto.form !== undefined) {
        // The editor loads the form masked: an untouched 個人番号 mask means the stored number.
        const incoming = this.procedures.keepMasked(
          this.procedures.get(r.procedure_code, r.procedure_version),
          dto.form,
          await this.store.openForm(tenantId, r),
        );
        const draft = this.draftForm(r.procedure_code, r.procedure_version, incoming);
        const stored = this.procedures.normalize(draft.def, draft.form);
        set.form_sealed = await this.store.sealForm(tenantId, id, stored);
        // The form is sealed: its deadline is kept beside it, plain, for lists and the dashboard.
        set.due_date = this.procedures.dueDate(draft.def, stored);
        changes.push('form');
      }
      if (dto.title !== undefined) {
        set.title_sealed = await this.store.sealTitle(tenantId, id, dto.title.trim());
        changes.push('title');
      }
      if (dto.officeId !== undefined && dto.officeId !== r.office_id) {
        await this.clientAccess.office(tenantId, access, dto.officeId, 'draft', m);
        set.office_id = dto.officeId;
        changes.push('office');
      }
      set.updated_by = actor;
      // A change after validation needs a new validation before submission.
      if (r.status === 'ready' && changes.length > 0)
        await this.store.transition(m, tenantId, id, { from: 'ready', to: 'draft', actor, set, details: { changes } });
      else await this.store.change(m, tenantId, id, set, { kind: 'updated', actor, details: { changes } });
      // An application awaiting approval goes back to draft and its approval is cancelled (承認フロー).
      if (changes.length > 0) await this.store.edited(m, tenantId, id, r.status, actor);
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
  async delete(tenantId: string, caller: Caller, id: string, expectedVersion?: number): Promise<void> {
    const access = await this.clientAccess.of(caller);
    const blobKeys = await this.ds.transaction(async (m) => {
      await this.clientAccess.application(tenantId, access, id, 'draft', m);
      const r = await this.store.lock(m, tenantId, id);
      if (expectedVersion !== undefined && r.version !== expectedVersion) throw ApplicationsErrors.versionConflict();
      if (!EDITABLE.includes(r.status)) throw ApplicationsErrors.notEditable(r.status, 'deleted');
      const keys = await this.attachments.blobKeys(m, tenantId, id);
      await this.store.delete(m, tenantId, id);
      return keys;
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
    const access = await this.clientAccess.of(caller);
    const out = await this.ds.transaction(async (m) => {
      await this.clientAccess.application(tenantId, access, id, 'draft', m);
      const r = await this.store.lock(m, tenantId, id);
      const def = this.procedures.get(r.procedure_code, r.procedure_version);
      const form = await this.store.openForm(tenantId, r);
      const errors = this.procedures.validate(def, form, 'complete');
      // Rows saved before due_date existed get it here (no new version: the form is unchanged).
      await this.store.refreshDueDate(m, tenantId, id, this.procedures.dueDate(def, form));
      let status = r.status;
      let version = r.version;
      if (errors.length === 0 && r.status === 'draft') {
        status = 'ready';
        version = r.version + 1;
        await this.store.transition(m, tenantId, id, { from: 'draft', to: 'ready', actor, set: { updated_by: actor } });
      } else {
        await this.store.event(m, tenantId, id, 'validated', actor, { errors: errors.length });
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
