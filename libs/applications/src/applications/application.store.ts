import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { NotFoundError } from '@charlotte/core';
import { SealingService } from '@charlotte/crypto';
import { PURPOSE } from '../sealing-purposes';
import type { ApplicationStatus } from './dto/application.dto';
import { EditGuardRegistry } from './extensions';
import { ApplicationsErrors } from '../errors';
import type { ClientAccess } from '../clients/client-access';

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
  /** The filing deadline (提出期限), `YYYY-MM-DD`, computed from the form when it is saved; null until then. */
  due_date: string | null;
}

/** The columns of a list page (no form). */
export type ApplicationSummaryRow = Pick<
  ApplicationRow,
  | 'id'
  | 'office_id'
  | 'procedure_code'
  | 'procedure_version'
  | 'status'
  | 'title_sealed'
  | 'version'
  | 'created_at'
  | 'updated_at'
  | 'due_date'
>;

/** One `application_events` row (the timeline). */
export interface ApplicationEventRow {
  at: Date;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  actor: string | null;
  details: Record<string, unknown>;
}

/**
 * Before submission the user may still change or delete an application. An application awaiting
 * approval is still editable: the edit cancels the approval (libs/filing, through the EditHookRegistry)
 * and brings it back to draft, so what the approvers approved is always what is filed.
 */
export const EDITABLE: readonly ApplicationStatus[] = ['draft', 'ready', 'awaiting_approval'];
/** When e-Gov asks for a correction (補正), form, title and attachments are editable again, until the 補正 is sent. */
export const CORRECTABLE: readonly ApplicationStatus[] = [...EDITABLE, 'correction_requested'];
/** Where a 取下げ may be asked for: the case is at e-Gov and review has not ended. */
export const WITHDRAWABLE: readonly ApplicationStatus[] = ['arrived', 'under_review', 'correction_requested'];

/**
 * Not filed yet: the filing deadline still binds. Once e-Gov has the filing (到達 or later, 補正待ち
 * included: the 補正 has its own deadline, in e-Gov's notice) it can no longer be late; a failed
 * submission was never filed, so it can.
 */
export const NOT_FILED: readonly ApplicationStatus[] = ['draft', 'ready', 'failed'];
/** With e-Gov, on its way or being reviewed: 審査中 for the dashboard. */
export const IN_REVIEW: readonly ApplicationStatus[] = ['submitting', 'arrived', 'under_review', 'review_finished'];

/** The statuses e-Gov's status poll moves between (StatusTrackerService.mapEgovStatus). */
const AT_EGOV_OPEN: readonly ApplicationStatus[] = ['arrived', 'under_review', 'correction_requested', 'review_finished'];
const AT_EGOV: readonly ApplicationStatus[] = [...AT_EGOV_OPEN, 'completed', 'withdrawn'];

/**
 * The state machine as data: every status change any code may make, and why. Anything else is
 * refused by `transition` (409 invalid_transition), so a new writer cannot invent a path.
 */
export const TRANSITIONS: ReadonlyArray<{ from: ApplicationStatus; to: ApplicationStatus; by: string }> = [
  { from: 'draft', to: 'ready', by: 'POST /validate: the form passed every rule' },
  { from: 'ready', to: 'draft', by: 'PATCH: a change after validation needs a new validation' },
  { from: 'ready', to: 'submitting', by: 'POST /submit' },
  { from: 'ready', to: 'awaiting_approval', by: 'POST /submit when an approval route (承認フロー) applies' },
  { from: 'awaiting_approval', to: 'submitting', by: 'the last approval of the route: the filing starts' },
  { from: 'awaiting_approval', to: 'draft', by: 'POST /approvals/{id}/send-back, or an edit that cancels the approval' },
  { from: 'submitting', to: 'arrived', by: 'the submission worker: e-Gov accepted the package' },
  { from: 'submitting', to: 'failed', by: 'the submission worker: e-Gov refused it or the attempts ran out' },
  { from: 'failed', to: 'draft', by: 'POST /reopen' },
  { from: 'correction_requested', to: 'under_review', by: 'the 補正 worker: e-Gov accepted the correction' },
  ...WITHDRAWABLE.map((from) => ({ from, to: 'withdrawn' as const, by: 'the 取下げ worker: e-Gov accepted the withdrawal' })),
  // The status poll follows e-Gov: any move between the statuses a case has at e-Gov, from one still open.
  ...AT_EGOV_OPEN.flatMap((from) => AT_EGOV.filter((to) => to !== from).map((to) => ({ from, to, by: 'the e-Gov status poll' }))),
];

export function isAllowedTransition(from: ApplicationStatus, to: ApplicationStatus): boolean {
  return TRANSITIONS.some((t) => t.from === from && t.to === to);
}

/** Columns other code may set on an application row, through `change` and `transition` only. */
export interface ApplicationChanges {
  title_sealed?: Buffer;
  form_sealed?: Buffer;
  office_id?: string;
  updated_by?: string;
  arrive_id?: string;
  egov_status?: string;
  failure_reason?: string | null;
  /** `YYYY-MM-DD` or null: set with every new form (ProceduresService.dueDate). */
  due_date?: string | null;
}
const CHANGEABLE: ReadonlyArray<keyof ApplicationChanges> = [
  'title_sealed',
  'form_sealed',
  'office_id',
  'updated_by',
  'arrive_id',
  'egov_status',
  'failure_reason',
  'due_date',
];

export interface ListFilter {
  /** What the caller sees (顧問先 assignments): part of the query, never a filter after loading. */
  access: ClientAccess;
  status?: ApplicationStatus | readonly ApplicationStatus[];
  /** Not filed yet and due before `today` (overdue), or from `today` to `until` (due soon). JST days. */
  due?: { today: string; until?: string };
  officeId?: string;
  clientId?: string;
  procedure?: string;
  /** JST calendar days, YYYY-MM-DD. */
  from?: string;
  to?: string;
  after?: { c: string; i: string };
  limit: number;
}

type Db = EntityManager | DataSource;

/** A `date` column as the ISO day itself (the driver would make a Date of it in the process's time zone). */
const DUE_DATE = `to_char(due_date, 'YYYY-MM-DD') AS due_date`;
const COLUMNS = `id, office_id, procedure_code, procedure_version, status, title_sealed, form_sealed, version, created_at, updated_at,
              arrive_id, egov_status, failure_reason, ${DUE_DATE}`;
const SUMMARY_COLUMNS = `id, office_id, procedure_code, procedure_version, status, title_sealed, version, created_at, updated_at, ${DUE_DATE}`;

/**
 * The one owner of the `applications` rows and their `application_events`:
 * reads (row, lock, page, timeline), the editability rule (status plus the
 * registered edit guards), and every write: insert, change, delete, status
 * transitions (allowed ones only, see TRANSITIONS) and timeline events. A
 * grep-based test (application.store.spec.ts) keeps other code from writing them.
 */
@Injectable()
export class ApplicationStore {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly guards: EditGuardRegistry,
    private readonly sealing: SealingService,
  ) {}

  /** The row of a tenant's application; 404 for another tenant's or an unknown id. */
  async row(tenantId: string, id: string, m: Db = this.ds): Promise<ApplicationRow> {
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

  /** The form as stored (normalised), opened. */
  async openForm(tenantId: string, r: Pick<ApplicationRow, 'id' | 'form_sealed'>): Promise<Record<string, unknown>> {
    return JSON.parse(await this.sealing.openString(tenantId, PURPOSE.applicationForm, r.id, r.form_sealed)) as Record<string, unknown>;
  }

  openTitle(tenantId: string, r: Pick<ApplicationRow, 'id' | 'title_sealed'>): Promise<string> {
    return this.sealing.openString(tenantId, PURPOSE.applicationTitle, r.id, r.title_sealed);
  }

  /** The titles of a tenant's applications, by id, in one query (other tenants' ids are not found). */
  async titlesOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const rows: Array<Pick<ApplicationRow, 'id' | 'title_sealed'>> = await this.ds.query(
      `SELECT id, title_sealed FROM applications WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, ids],
    );
    const out = new Map<string, string>();
    for (const r of rows) out.set(r.id, await this.openTitle(tenantId, r));
    return out;
  }

  sealForm(tenantId: string, id: string, form: Record<string, unknown>): Promise<Buffer> {
    return this.sealing.seal(tenantId, PURPOSE.applicationForm, id, JSON.stringify(form));
  }

  sealTitle(tenantId: string, id: string, title: string): Promise<Buffer> {
    return this.sealing.seal(tenantId, PURPOSE.applicationTitle, id, title);
  }

  /**
   * 404 for another tenant's or an unknown id; 409 not_editable once
   * submitted, except while e-Gov waits for a correction (補正); then the
   * registered edit guards decide (libs/filing: 409 action_in_progress while
   * the 補正 is on its way).
   */
  async assertEditable(tenantId: string, id: string, m: Db = this.ds, r?: { status: ApplicationStatus }): Promise<void> {
    r ??= await this.row(tenantId, id, m);
    if (!CORRECTABLE.includes(r.status)) throw ApplicationsErrors.notEditable(r.status);
    // In the caller's transaction (under its row lock): edits and the 補正 being sent exclude each other.
    await this.guards.check(m, tenantId, id, r.status);
  }

  /**
   * After an edit written in `m` (under the row lock) of an application that had `status`: one
   * awaiting approval goes back to draft (its approval is cancelled by the registered hooks, and a
   * changed form needs a new validation anyway), then the edit hooks run.
   */
  async edited(m: EntityManager, tenantId: string, id: string, status: ApplicationStatus, actor: string): Promise<void> {
    if (status === 'awaiting_approval')
      await this.transition(m, tenantId, id, { from: 'awaiting_approval', to: 'draft', actor, details: { approvalCancelled: true } });
    await this.guards.edited(m, tenantId, id, status, actor);
  }

  /** One page of a tenant's applications the caller sees, newest first; `c` is the cursor's creation time. */
  async page(tenantId: string, f: ListFilter): Promise<Array<ApplicationSummaryRow & { c: string; client_id: string | null }>> {
    const params: unknown[] = [tenantId];
    const where = ['tenant_id = $1', f.access.applicationCondition('office_id', 'tenant_id', params)];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (typeof f.status === 'string') add('status = ?', f.status);
    else if (f.status) add('status = ANY(?)', f.status);
    if (f.due) {
      add('status = ANY(?)', NOT_FILED);
      if (f.due.until) {
        add('due_date >= ?::date', f.due.today);
        add('due_date <= ?::date', f.due.until);
      } else add('due_date < ?::date', f.due.today);
    }
    if (f.officeId) add('office_id = ?', f.officeId);
    if (f.procedure) add('procedure_code = ?', f.procedure);
    if (f.clientId)
      add('office_id IN (SELECT fo.id FROM offices fo WHERE fo.tenant_id = applications.tenant_id AND fo.client_id = ?)', f.clientId);
    // Dates are the user's (JST) calendar days.
    if (f.from) add(`created_at >= (?::date)::timestamp AT TIME ZONE 'Asia/Tokyo'`, f.from);
    if (f.to) add(`created_at < ((?::date) + 1)::timestamp AT TIME ZONE 'Asia/Tokyo'`, f.to);
    if (f.after) {
      params.push(f.after.c, f.after.i);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(f.limit);
    return this.ds.query(
      `SELECT ${SUMMARY_COLUMNS},
              (SELECT so.client_id FROM offices so WHERE so.tenant_id = applications.tenant_id AND so.id = applications.office_id) AS client_id,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS c
         FROM applications WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
  }

  timeline(tenantId: string, id: string): Promise<ApplicationEventRow[]> {
    return this.ds.query(
      `SELECT at, kind, from_status, to_status, actor, details FROM application_events WHERE tenant_id = $1 AND application_id = $2 ORDER BY id`,
      [tenantId, id],
    );
  }

  /** How many applications the caller sees in each status (statuses without any are absent). */
  async statusCounts(tenantId: string, access: ClientAccess): Promise<Partial<Record<ApplicationStatus, number>>> {
    const params: unknown[] = [tenantId];
    const visible = access.applicationCondition('office_id', 'tenant_id', params);
    const rows: Array<{ status: ApplicationStatus; n: number }> = await this.ds.query(
      `SELECT status, count(*)::int AS n FROM applications WHERE tenant_id = $1 AND ${visible} GROUP BY status`,
      params,
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /**
   * Not filed yet with a deadline before `until` (JST day), soonest first: what the dashboard lists
   * as overdue and coming up. `total` counts every such row, overdue ones (before `today`) apart.
   */
  async deadlines(
    tenantId: string,
    access: ClientAccess,
    today: string,
    until: string,
    limit: number,
  ): Promise<{ rows: ApplicationSummaryRow[]; total: number; overdue: number }> {
    const params: unknown[] = [tenantId, NOT_FILED, until, limit];
    const visible = access.applicationCondition('office_id', 'tenant_id', params);
    const rows: ApplicationSummaryRow[] = await this.ds.query(
      `SELECT ${SUMMARY_COLUMNS} FROM applications
          WHERE tenant_id = $1 AND status = ANY($2) AND due_date <= $3::date AND ${visible}
          ORDER BY applications.due_date, created_at, id LIMIT $4`,
      params,
    );
    const countParams: unknown[] = [tenantId, NOT_FILED, until, today];
    const countVisible = access.applicationCondition('office_id', 'tenant_id', countParams);
    const counts: Array<{ total: number; overdue: number }> = await this.ds.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE due_date < $4::date)::int AS overdue FROM applications
          WHERE tenant_id = $1 AND status = ANY($2) AND due_date <= $3::date AND ${countVisible}`,
      countParams,
    );
    return { rows, total: counts[0]?.total ?? 0, overdue: counts[0]?.overdue ?? 0 };
  }

  /**
   * The latest 手続終了 the caller sees, newest first, with when they got there (the `completed` status
   * event; 手続終了 is final, so an application has one). Walks the partial index
   * application_events_completed_idx newest first and stops after `limit` visible rows, so the cost
   * does not grow with the tenant's history (issue 20: it looked up every completed application's
   * event before sorting, ~200 ms at 20,000 applications).
   */
  recentlyCompleted(tenantId: string, access: ClientAccess, limit: number): Promise<Array<ApplicationSummaryRow & { completed_at: Date }>> {
    const params: unknown[] = [tenantId, limit];
    const visible = access.applicationCondition('a.office_id', 'a.tenant_id', params);
    return this.ds.query(
      `SELECT ${SUMMARY_COLUMNS}, completed_at FROM (
          SELECT a.*, e.at AS completed_at
            FROM application_events e
            JOIN applications a ON a.tenant_id = e.tenant_id AND a.id = e.application_id
           WHERE e.tenant_id = $1 AND e.to_status = 'completed' AND a.status = 'completed' AND ${visible}
           ORDER BY e.at DESC, e.application_id DESC LIMIT $2) c
        ORDER BY completed_at DESC, id DESC`,
      params,
    );
  }

  /** Whether the tenant has any application at all (the onboarding checklist's 申請を作成). */
  async any(tenantId: string): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(`SELECT 1 FROM applications WHERE tenant_id = $1 LIMIT 1`, [tenantId]);
    return rows.length > 0;
  }

  /**
   * Keeps the derived deadline current without a new version (the form did not change): 入力チェック
   * of a row saved before the column existed fills it in.
   */
  async refreshDueDate(m: EntityManager, tenantId: string, id: string, dueDate: string | null): Promise<void> {
    await m.query(`UPDATE applications SET due_date = $3 WHERE tenant_id = $1 AND id = $2 AND due_date IS DISTINCT FROM $3::date`, [
      tenantId,
      id,
      dueDate,
    ]);
  }

  /** A new draft with its `created` event. */
  async insert(
    m: EntityManager,
    a: {
      id: string;
      tenantId: string;
      officeId: string;
      procedureCode: string;
      procedureVersion: number;
      title: Buffer;
      form: Buffer;
      dueDate?: string | null;
    },
    actor: string,
  ): Promise<void> {
    await m.query(
      `INSERT INTO applications (id, tenant_id, office_id, procedure_code, procedure_version, title_sealed, form_sealed, due_date, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
      [a.id, a.tenantId, a.officeId, a.procedureCode, a.procedureVersion, a.title, a.form, a.dueDate ?? null, actor],
    );
    await this.event(m, a.tenantId, a.id, 'created', actor, {}, { to: 'draft' });
  }

  /** Changes columns without a status change (a new version), with its timeline event. */
  async change(
    m: EntityManager,
    tenantId: string,
    id: string,
    set: ApplicationChanges,
    event: { kind: string; actor: string; details?: Record<string, unknown> },
  ): Promise<void> {
    const { sql, params } = this.sets(set, 3);
    await m.query(`UPDATE applications SET ${sql}version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
      ...params,
    ]);
    await this.event(m, tenantId, id, event.kind, event.actor, event.details);
  }

  /**
   * Moves an application from `from` to `to` (an allowed transition, else 409
   * invalid_transition) with a `status` event, setting `set` too. Only when it
   * is still in `from` (the caller holds the row lock, or, like the status
   * poll, accepts that another writer got there first): answers whether it moved.
   */
  async transition(
    m: EntityManager,
    tenantId: string,
    id: string,
    t: { from: ApplicationStatus; to: ApplicationStatus; actor: string; set?: ApplicationChanges; details?: Record<string, unknown> },
  ): Promise<boolean> {
    if (!isAllowedTransition(t.from, t.to)) throw ApplicationsErrors.invalidTransition(t.from, t.to);
    const { sql, params } = this.sets(t.set ?? {}, 5);
    const r: [unknown[], number] = await m.query(
      `UPDATE applications SET status = $3, ${sql}version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 AND status = $4`,
      [tenantId, id, t.to, t.from, ...params],
    );
    if (r[1] === 0) return false;
    await this.event(m, tenantId, id, 'status', t.actor, t.details, { from: t.from, to: t.to });
    return true;
  }

  /** A timeline entry without a status change (validated, attachment_added, amend_requested, …). */
  async event(
    m: Db,
    tenantId: string,
    applicationId: string,
    kind: string,
    actor: string | null,
    details: Record<string, unknown> = {},
    change: { from?: ApplicationStatus; to?: ApplicationStatus } = {},
  ): Promise<void> {
    await m.query(
      `INSERT INTO application_events (tenant_id, application_id, kind, from_status, to_status, actor, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [tenantId, applicationId, kind, change.from ?? null, change.to ?? null, actor, JSON.stringify(details)],
    );
  }

  /** Deletes the row (its events and attachments' rows go with it: ON DELETE CASCADE). */
  async delete(m: EntityManager, tenantId: string, id: string): Promise<void> {
    await m.query(`DELETE FROM applications WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  }

  /** Filed applications still open at e-Gov and not polled since `since`, least recently polled first. */
  dueForPoll(since: Date, limit: number): Promise<Array<{ id: string; tenant_id: string; arrive_id: string; status: ApplicationStatus }>> {
    return this.ds.query(
      `SELECT id, tenant_id, arrive_id, status FROM applications
          WHERE arrive_id IS NOT NULL AND status NOT IN ('completed', 'withdrawn', 'failed')
            AND (egov_polled_at IS NULL OR egov_polled_at < $1)
          ORDER BY egov_polled_at NULLS FIRST, id LIMIT $2`,
      [since, limit],
    );
  }

  /** Marks a polled batch at once (failures included, so that the run moves on), keeping e-Gov's status string when one was seen. */
  async markPolled(batch: Array<{ id: string; tenant_id: string; seen: string | null }>): Promise<void> {
    await this.ds.query(
      `UPDATE applications a SET egov_polled_at = now(), egov_status = COALESCE(p.seen, a.egov_status)
           FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS p(id, tenant_id, seen)
          WHERE a.id = p.id AND a.tenant_id = p.tenant_id`,
      [batch.map((a) => a.id), batch.map((a) => a.tenant_id), batch.map((a) => a.seen)],
    );
  }

  /** Which of these e-Gov case numbers (到達番号) belong to one of our applications, any tenant. */
  async knownArriveIds(arriveIds: string[]): Promise<Set<string>> {
    const ours: Array<{ arrive_id: string }> = await this.ds.query(
      `SELECT arrive_id FROM applications WHERE arrive_id IS NOT NULL AND arrive_id = ANY($1)`,
      [arriveIds],
    );
    return new Set(ours.map((o) => o.arrive_id));
  }

  private sets(set: ApplicationChanges, first: number): { sql: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const col of CHANGEABLE)
      if (set[col] !== undefined) {
        params.push(set[col]);
        parts.push(`${col} = $${first + params.length - 1}, `);
      }
    return { sql: parts.join(''), params };
  }
}
