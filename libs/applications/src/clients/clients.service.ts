import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { Caller, FieldError, NotFoundError, ValidationFailedError } from '@charlotte/core';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import { PURPOSE } from '../sealing-purposes';
import { ApplicationsErrors } from '../errors';
import { OfficeData, OfficesService } from '../offices/offices.service';
import { ClientAccess, CLIENT_RIGHTS } from './client-access';
import { ClientAccessService } from './client-access.service';
import { IMPORT_MAX_ERRORS, ImportRow, readImport } from './client-csv';
import {
  AssignmentsDto,
  AssignmentsView,
  CLIENT_CODE_PATTERN,
  ClientImportResultView,
  ClientView,
  CreateClientDto,
  UpdateClientDto,
} from './dto/client.dto';

interface Row {
  id: string;
  code: string | null;
  name_sealed: Buffer;
  notes_sealed: Buffer | null;
  portal_enabled: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
  offices: number;
}

const COLUMNS = `c.id, c.code, c.name_sealed, c.notes_sealed, c.portal_enabled, c.version, c.created_at, c.updated_at,
  (SELECT count(*) FROM offices o WHERE o.tenant_id = c.tenant_id AND o.client_id = c.id AND o.deleted_at IS NULL)::int AS offices`;

const isUniqueViolation = (e: unknown): boolean => (e as { code?: string })?.code === '23505';

/**
 * 顧問先 (client companies) of a sharoushi tenant, the staff assignments to them, and the CSV import
 * of clients with their offices. Names and notes are sealed like the offices' data; the code stays
 * plain (unique per tenant). Audit events carry ids and counts, never names.
 */
@Injectable()
export class ClientsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly sealing: SealingService,
    private readonly audit: AuditService,
    private readonly access: ClientAccessService,
    private readonly offices: OfficesService,
    rotation: KeyRotationService,
  ) {
    rotation.register({ table: 'clients', column: 'name_sealed', purpose: PURPOSE.clientName });
    rotation.register({ table: 'clients', column: 'notes_sealed', purpose: PURPOSE.clientNotes });
  }

  private async requireSharoushi(tenantId: string, m: EntityManager | DataSource = this.ds): Promise<void> {
    if ((await this.access.tenantKind(tenantId, m)) !== 'sharoushi') throw ApplicationsErrors.notSharoushi();
  }

  private openName(tenantId: string, r: { id: string; name_sealed: Buffer }): Promise<string> {
    return this.sealing.openString(tenantId, PURPOSE.clientName, r.id, r.name_sealed);
  }

  private async view(tenantId: string, access: ClientAccess, r: Row): Promise<ClientView> {
    return {
      id: r.id,
      name: await this.openName(tenantId, r),
      code: r.code,
      notes: r.notes_sealed ? await this.sealing.openString(tenantId, PURPOSE.clientNotes, r.id, r.notes_sealed) : null,
      portalEnabled: r.portal_enabled,
      officeCount: r.offices,
      myRights: access.rightsOn(r.id),
      version: r.version,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  /** The clients the caller sees (a company tenant has none), by code then name. */
  async list(tenantId: string, caller: Caller): Promise<ClientView[]> {
    const access = await this.access.of(caller);
    const params: unknown[] = [tenantId];
    const rows: Row[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM clients c WHERE c.tenant_id = $1 AND ${access.clientCondition('c', params)}`,
      params,
    );
    const items: ClientView[] = [];
    for (const r of rows) items.push(await this.view(tenantId, access, r));
    return items.sort((a, b) => (a.code ?? '\uffff').localeCompare(b.code ?? '\uffff') || a.name.localeCompare(b.name, 'ja'));
  }

  /** 404 for an unknown client, another tenant's, or one not assigned to the calling staff member. */
  async get(tenantId: string, caller: Caller, id: string): Promise<ClientView> {
    return this.getWith(tenantId, await this.access.of(caller), id);
  }

  private async getWith(tenantId: string, access: ClientAccess, id: string): Promise<ClientView> {
    const params: unknown[] = [tenantId, id];
    const rows: Row[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM clients c WHERE c.tenant_id = $1 AND c.id = $2 AND ${access.clientCondition('c', params)}`,
      params,
    );
    if (!rows[0]) throw new NotFoundError('client');
    return this.view(tenantId, access, rows[0]);
  }

  /** How many 顧問先 the tenant has (the home's checklist); nothing is opened. */
  async count(tenantId: string): Promise<number> {
    const rows: Array<{ n: number }> = await this.ds.query(`SELECT count(*)::int AS n FROM clients WHERE tenant_id = $1`, [tenantId]);
    return rows[0]?.n ?? 0;
  }

  /** Names of clients by id (the status board's column); ids of other tenants are simply absent. */
  async names(tenantId: string, ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (!ids.length) return out;
    const rows: Array<{ id: string; name_sealed: Buffer }> = await this.ds.query(
      `SELECT id, name_sealed FROM clients WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, [...new Set(ids)]],
    );
    for (const r of rows) out.set(r.id, await this.openName(tenantId, r));
    return out;
  }

  private async insert(
    m: EntityManager,
    tenantId: string,
    c: { name: string; code: string | null; notes: string | null },
  ): Promise<string> {
    const id = randomUUID();
    const name = await this.sealing.seal(tenantId, PURPOSE.clientName, id, c.name);
    const notes = c.notes ? await this.sealing.seal(tenantId, PURPOSE.clientNotes, id, c.notes) : null;
    await m.query(`INSERT INTO clients (id, tenant_id, code, name_sealed, notes_sealed) VALUES ($1, $2, $3, $4, $5)`, [
      id,
      tenantId,
      c.code,
      name,
      notes,
    ]);
    return id;
  }

  async create(tenantId: string, caller: Caller, dto: CreateClientDto): Promise<ClientView> {
    await this.requireSharoushi(tenantId);
    const name = dto.name.trim();
    if (!name) throw new ValidationFailedError([{ field: 'name', code: 'not_blank', message: 'name must not be blank' }]);
    let id: string;
    try {
      id = await this.ds.transaction((m) =>
        this.insert(m, tenantId, { name, code: dto.code?.trim() || null, notes: dto.notes?.trim() || null }),
      );
    } catch (e) {
      if (isUniqueViolation(e)) throw ApplicationsErrors.clientCodeTaken();
      throw e;
    }
    await this.audit.record({
      category: 'operation',
      action: 'client.created',
      outcome: 'success',
      tenantId,
      target: { type: 'client', id },
    });
    return this.get(tenantId, caller, id);
  }

  async update(tenantId: string, caller: Caller, id: string, dto: UpdateClientDto): Promise<ClientView> {
    const current = await this.get(tenantId, caller, id);
    const sets: string[] = [];
    const params: unknown[] = [tenantId, id];
    const set = (col: string, v: unknown) => {
      params.push(v);
      sets.push(`${col} = $${params.length}`);
    };
    const changes: string[] = [];
    if (dto.name !== undefined && dto.name.trim() !== current.name) {
      if (!dto.name.trim()) throw new ValidationFailedError([{ field: 'name', code: 'not_blank', message: 'name must not be blank' }]);
      set('name_sealed', await this.sealing.seal(tenantId, PURPOSE.clientName, id, dto.name.trim()));
      changes.push('name');
    }
    if (dto.code !== undefined && (dto.code?.trim() || null) !== current.code) {
      set('code', dto.code?.trim() || null);
      changes.push('code');
    }
    if (dto.notes !== undefined && (dto.notes?.trim() || null) !== current.notes) {
      const notes = dto.notes?.trim() || null;
      set('notes_sealed', notes ? await this.sealing.seal(tenantId, PURPOSE.clientNotes, id, notes) : null);
      changes.push('notes');
    }
    if (dto.portalEnabled !== undefined && dto.portalEnabled !== current.portalEnabled) {
      set('portal_enabled', dto.portalEnabled);
      changes.push('portalEnabled');
    }
    let where = 'tenant_id = $1 AND id = $2';
    if (dto.version !== undefined) {
      params.push(dto.version);
      where += ` AND version = $${params.length}`;
    }
    try {
      const r: [unknown[], number] = await this.ds.query(
        `UPDATE clients SET ${sets.map((s) => `${s}, `).join('')}version = version + ${changes.length ? 1 : 0}, updated_at = ${changes.length ? 'now()' : 'updated_at'} WHERE ${where}`,
        params,
      );
      if (r[1] === 0) throw ApplicationsErrors.versionConflict('client');
    } catch (e) {
      if (isUniqueViolation(e)) throw ApplicationsErrors.clientCodeTaken();
      throw e;
    }
    if (changes.length)
      await this.audit.record({
        category: 'operation',
        action: 'client.updated',
        outcome: 'success',
        tenantId,
        target: { type: 'client', id },
        details: { changes },
      });
    return this.get(tenantId, caller, id);
  }

  /** Refused (409 client_in_use) while the client has offices: its applications and 公文書 hang on them. */
  async delete(tenantId: string, caller: Caller, id: string): Promise<void> {
    await this.get(tenantId, caller, id);
    await this.ds.transaction(async (m) => {
      // The row lock keeps an office from being added between the count and the delete.
      await m.query(`SELECT 1 FROM clients WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, id]);
      const n: Array<{ n: number }> = await m.query(`SELECT count(*)::int AS n FROM offices WHERE tenant_id = $1 AND client_id = $2`, [
        tenantId,
        id,
      ]);
      if (n[0].n > 0) throw ApplicationsErrors.clientInUse(n[0].n);
      // Its portal users (role client) hang on it too: they are disabled, never deleted (the audit trail names them).
      const u: Array<{ n: number }> = await m.query(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND client_id = $2`, [
        tenantId,
        id,
      ]);
      if (u[0].n > 0) throw ApplicationsErrors.clientHasPortalUsers(u[0].n);
      await m.query(`DELETE FROM clients WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    });
    await this.audit.record({
      category: 'operation',
      action: 'client.deleted',
      outcome: 'success',
      tenantId,
      target: { type: 'client', id },
    });
  }

  /** 404 unless the user is one of the tenant's users (the `users` row of libs/auth, read only for this). */
  private async requireUser(tenantId: string, userId: string, m: EntityManager | DataSource = this.ds): Promise<void> {
    const rows = await m.query(`SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, userId]);
    if (!rows[0]) throw new NotFoundError('user');
  }

  async assignments(tenantId: string, userId: string): Promise<AssignmentsView> {
    await this.requireSharoushi(tenantId);
    await this.requireUser(tenantId, userId);
    const scope: Array<{ all_clients: boolean }> = await this.ds.query(
      `SELECT all_clients FROM client_assignment_scopes WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    );
    const rows: Array<{ client_id: string; rights: string[] }> = await this.ds.query(
      `SELECT client_id, rights FROM client_assignments WHERE tenant_id = $1 AND user_id = $2 ORDER BY client_id`,
      [tenantId, userId],
    );
    return {
      all: scope[0]?.all_clients ?? false,
      clients: rows.map((r) => ({ clientId: r.client_id, rights: CLIENT_RIGHTS.filter((x) => r.rights.includes(x)) })),
    };
  }

  /** Replaces a user's assignments (tenant admin). Unknown clients answer 400 with the index of each. */
  async setAssignments(tenantId: string, userId: string, dto: AssignmentsDto): Promise<AssignmentsView> {
    await this.requireSharoushi(tenantId);
    await this.requireUser(tenantId, userId);
    const ids = dto.clients.map((c) => c.clientId);
    const errors: FieldError[] = [];
    const known: Array<{ id: string }> = await this.ds.query(`SELECT id FROM clients WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [
      tenantId,
      ids,
    ]);
    const knownIds = new Set(known.map((k) => k.id));
    dto.clients.forEach((c, i) => {
      if (!knownIds.has(c.clientId))
        errors.push({ field: `clients.${i}.clientId`, code: 'unknown_client', message: 'no such client in this tenant' });
      else if (ids.indexOf(c.clientId) !== i)
        errors.push({ field: `clients.${i}.clientId`, code: 'duplicate', message: 'this client is listed twice' });
    });
    if (errors.length) throw new ValidationFailedError(errors, 'The assignments were not saved.');
    await this.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO client_assignment_scopes (tenant_id, user_id, all_clients) VALUES ($1, $2, $3)
           ON CONFLICT (tenant_id, user_id) DO UPDATE SET all_clients = EXCLUDED.all_clients, updated_at = now()`,
        [tenantId, userId, dto.all],
      );
      await m.query(`DELETE FROM client_assignments WHERE tenant_id = $1 AND user_id = $2`, [tenantId, userId]);
      for (const c of dto.clients)
        await m.query(`INSERT INTO client_assignments (tenant_id, user_id, client_id, rights) VALUES ($1, $2, $3, $4)`, [
          tenantId,
          userId,
          c.clientId,
          CLIENT_RIGHTS.filter((r) => c.rights.includes(r)),
        ]);
    });
    await this.audit.record({
      category: 'operation',
      action: 'client.assignments_changed',
      outcome: 'success',
      tenantId,
      target: { type: 'user', id: userId },
      details: { all: dto.all, clients: dto.clients.length },
    });
    return this.assignments(tenantId, userId);
  }

  /**
   * The CSV import (api.md): every row checked first, then everything created in one transaction,
   * or nothing and 422 import_invalid with each problem's row. A code already in the tenant adds the
   * row's office to that client (its name must match); rows sharing a code are one client.
   */
  async import(tenantId: string, file: Buffer): Promise<ClientImportResultView> {
    await this.requireSharoushi(tenantId);
    const { rows, errors } = readImport(file);
    if (errors.length) throw ApplicationsErrors.importInvalid(errors);
    const existing = await this.byCode(tenantId);
    const plan = new Map<string, { name: string; row: number; id?: string; offices: OfficeData[] }>();
    const problems: FieldError[] = [];
    for (const { row, data } of rows) {
      for (const e of this.rowProblems(data, existing, plan)) problems.push({ row, ...e });
      if (problems.some((p) => p.row === row)) continue;
      const entry = plan.get(data.code) ?? { name: data.name, row, id: existing.get(data.code)?.id, offices: [] };
      plan.set(data.code, entry);
      if (data.office_name) entry.offices.push(this.offices.normalise(officeOf(data)));
    }
    if (problems.length) throw ApplicationsErrors.importInvalid(problems.slice(0, IMPORT_MAX_ERRORS));
    // Importing the same file again (say, after correcting one row) must not double the offices: an office
    // identical to one the client already has, or to an earlier row, is left out (it is not counted as created).
    const known = new Set<string>();
    for (const entry of plan.values()) {
      if (!entry.id) continue;
      for (const o of await this.offices.list(tenantId, ClientAccess.everything(), { clientId: entry.id }))
        known.add(officeKey(entry.id, o));
    }
    const created = await this.ds.transaction(async (m) => {
      let clients = 0;
      let offices = 0;
      for (const [code, entry] of plan) {
        const clientId = entry.id ?? (await this.insert(m, tenantId, { name: entry.name, code, notes: null }));
        if (!entry.id) clients++;
        for (const o of entry.offices) {
          const key = officeKey(clientId, o);
          if (known.has(key)) continue;
          known.add(key);
          await this.offices.insert(m, tenantId, clientId, o);
          offices++;
        }
      }
      return { clients, offices };
    });
    await this.audit.record({
      category: 'operation',
      action: 'client.imported',
      outcome: 'success',
      tenantId,
      target: { type: 'tenant', id: tenantId },
      details: { rows: rows.length, clients: created.clients, offices: created.offices },
    });
    return { created };
  }

  private async byCode(tenantId: string): Promise<Map<string, { id: string; name: string }>> {
    const rows: Array<{ id: string; code: string; name_sealed: Buffer }> = await this.ds.query(
      `SELECT id, code, name_sealed FROM clients WHERE tenant_id = $1 AND code IS NOT NULL`,
      [tenantId],
    );
    const out = new Map<string, { id: string; name: string }>();
    for (const r of rows) out.set(r.code, { id: r.id, name: await this.openName(tenantId, r) });
    return out;
  }

  private rowProblems(
    d: ImportRow,
    existing: Map<string, { name: string }>,
    plan: Map<string, { name: string; row: number }>,
  ): Array<Omit<FieldError, 'row'>> {
    const out: Array<Omit<FieldError, 'row'>> = [];
    if (!d.code) out.push({ field: 'code', code: 'required', message: 'code is required' });
    else if (!CLIENT_CODE_PATTERN.test(d.code))
      out.push({ field: 'code', code: 'client_code', message: 'code must be 1-50 letters, digits, - or _' });
    if (!d.name) out.push({ field: 'name', code: 'required', message: 'name is required' });
    else if ([...d.name].length > 200)
      out.push({ field: 'name', code: 'too_long', params: { max: 200 }, message: 'name is longer than 200' });
    else if (d.code) {
      const known = existing.get(d.code);
      const earlier = plan.get(d.code);
      if (known && known.name !== d.name)
        out.push({ field: 'name', code: 'client_name_mismatch', message: `the client with code ${d.code} has another name` });
      else if (earlier && earlier.name !== d.name)
        out.push({
          field: 'name',
          code: 'client_name_mismatch',
          params: { row: earlier.row },
          message: `row ${earlier.row} gives code ${d.code} another name`,
        });
    }
    const office = officeOf(d);
    const hasIdentifier = [d.pension_office_code, d.pension_office_number, d.employment_office_number, d.labor_insurance_number].some(
      (v) => v !== '',
    );
    if (!d.office_name && hasIdentifier)
      out.push({ field: 'office_name', code: 'required', message: 'office_name is required when an office number is given' });
    if (d.office_name) {
      if ([...d.office_name].length > 200)
        out.push({ field: 'office_name', code: 'too_long', params: { max: 200 }, message: 'office_name is longer than 200' });
      for (const e of this.offices.problems(office)) if (e.field !== 'name') out.push({ ...e, field: COLUMN_OF[e.field] ?? e.field });
    }
    return out;
  }
}

/** CSV column of each office field (errors name the column the user sees). */
const COLUMN_OF: Record<string, string> = {
  pensionOfficeCode: 'pension_office_code',
  pensionOfficeNumber: 'pension_office_number',
  employmentOfficeNumber: 'employment_office_number',
  laborInsuranceNumber: 'labor_insurance_number',
};

function officeOf(d: ImportRow) {
  return {
    name: d.office_name,
    pensionOfficeCode: d.pension_office_code || undefined,
    pensionOfficeNumber: d.pension_office_number || undefined,
    employmentOfficeNumber: d.employment_office_number || undefined,
    laborInsuranceNumber: d.labor_insurance_number || undefined,
  };
}

/** What makes two offices of a client the same for the import: every field of the CSV row. */
function officeKey(
  clientId: string,
  o: Pick<OfficeData, 'name' | 'pensionOfficeCode' | 'pensionOfficeNumber' | 'employmentOfficeNumber' | 'laborInsuranceNumber'>,
): string {
  return JSON.stringify([
    clientId,
    o.name,
    o.pensionOfficeCode ?? null,
    o.pensionOfficeNumber ?? null,
    o.employmentOfficeNumber ?? null,
    o.laborInsuranceNumber ?? null,
  ]);
}
