import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { Caller, FieldError, NotFoundError, ValidationFailedError } from '@charlotte/core';
import { SealingService } from '@charlotte/crypto';
import { CreateOfficeDto, OfficeView, UpdateOfficeDto } from './dto/office.dto';
import { normaliseOfficeId, OFFICE_ID_ERRORS, OfficeIdField } from './office-identifiers';
import { PURPOSE } from '../sealing-purposes';
import { ApplicationsErrors } from '../errors';
import { ClientAccess } from '../clients/client-access';
import { ClientAccessService } from '../clients/client-access.service';

const ID_FIELDS: OfficeIdField[] = ['pensionOfficeCode', 'pensionOfficeNumber', 'employmentOfficeNumber', 'laborInsuranceNumber'];

/** The sealed part of an office. */
export interface OfficeData {
  name: string;
  address: string | null;
  pensionOfficeCode: string | null;
  pensionOfficeNumber: string | null;
  employmentOfficeNumber: string | null;
  laborInsuranceNumber: string | null;
}

interface Row {
  id: string;
  client_id: string | null;
  data_sealed: Buffer;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/**
 * Offices (事業所) of a tenant: a company's own, or a sharoushi office's 顧問先.
 * Name, address and identifiers are sealed together (customer content); only
 * ids, version and timestamps are plain.
 */
@Injectable()
export class OfficesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly sealing: SealingService,
    private readonly audit: AuditService,
    private readonly access: ClientAccessService,
  ) {}

  /** Name and identifiers checked and normalised (400 validation_failed with a code per field). */
  normalise(dto: Omit<CreateOfficeDto, 'clientId'>): OfficeData {
    const errors = this.problems(dto);
    if (errors.length) throw new ValidationFailedError(errors, 'The office was not saved.');
    return this.normalised(dto);
  }

  /** The field problems of an office's data (the CSV import reports them per row). */
  problems(dto: Omit<CreateOfficeDto, 'clientId'>): FieldError[] {
    const errors: FieldError[] = [];
    if (!dto.name.trim()) errors.push({ field: 'name', code: 'required', message: 'name must not be blank' });
    for (const f of ID_FIELDS) {
      const v = dto[f]?.trim();
      if (v && normaliseOfficeId(f, v) === undefined)
        errors.push({ field: f, code: OFFICE_ID_ERRORS[f].code, message: OFFICE_ID_ERRORS[f].message });
    }
    return errors;
  }

  private normalised(dto: Omit<CreateOfficeDto, 'clientId'>): OfficeData {
    const out: OfficeData = {
      name: dto.name.trim(),
      address: dto.address?.trim() || null,
      pensionOfficeCode: null,
      pensionOfficeNumber: null,
      employmentOfficeNumber: null,
      laborInsuranceNumber: null,
    };
    for (const f of ID_FIELDS) {
      const v = dto[f]?.trim();
      if (v) out[f] = normaliseOfficeId(f, v) ?? null;
    }
    return out;
  }

  private async view(tenantId: string, r: Row): Promise<OfficeView> {
    const d = JSON.parse(await this.sealing.openString(tenantId, PURPOSE.office, r.id, r.data_sealed)) as OfficeData;
    return {
      id: r.id,
      clientId: r.client_id,
      ...d,
      version: r.version,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  /** How many offices (事業所) the tenant has registered (deleted ones not counted); nothing is opened. */
  async count(tenantId: string): Promise<number> {
    const r: Array<{ n: number }> = await this.ds.query(
      `SELECT count(*)::int AS n FROM offices WHERE tenant_id = $1 AND deleted_at IS NULL`,
      [tenantId],
    );
    return r[0]?.n ?? 0;
  }

  /** The offices the caller sees (their clients' only, for staff of a sharoushi tenant), of one client when asked. */
  async list(tenantId: string, access: ClientAccess, filter: { clientId?: string } = {}): Promise<OfficeView[]> {
    const params: unknown[] = [tenantId];
    const where = ['o.tenant_id = $1', 'o.deleted_at IS NULL', access.officeCondition('o', params)];
    if (filter.clientId) {
      params.push(filter.clientId);
      where.push(`o.client_id = $${params.length}`);
    }
    const rows: Row[] = await this.ds.query(
      `SELECT o.id, o.client_id, o.data_sealed, o.version, o.created_at, o.updated_at FROM offices o
         WHERE ${where.join(' AND ')} ORDER BY o.created_at, o.id`,
      params,
    );
    const items: OfficeView[] = [];
    for (const r of rows) items.push(await this.view(tenantId, r));
    return items.sort((a, b) => a.name.localeCompare(b.name, 'ja'));
  }

  /**
   * The names of a tenant's offices, by id, in one query, removed ones included (flagged), so
   * that the audit log still says which office a past event was about.
   */
  async namesOf(tenantId: string, ids: readonly string[]): Promise<Map<string, { name: string; deleted: boolean }>> {
    const rows: Array<{ id: string; data_sealed: Buffer; deleted: boolean }> = await this.ds.query(
      `SELECT id, data_sealed, deleted_at IS NOT NULL AS deleted FROM offices WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, ids],
    );
    const out = new Map<string, { name: string; deleted: boolean }>();
    for (const r of rows) {
      const d = JSON.parse(await this.sealing.openString(tenantId, PURPOSE.office, r.id, r.data_sealed)) as OfficeData;
      out.set(r.id, { name: d.name, deleted: r.deleted });
    }
    return out;
  }

  /**
   * One office; 404 for another tenant's, an unknown one, or (staff of a sharoushi tenant) one of a
   * client not assigned to the caller. Workers pass ClientAccess.everything().
   */
  async get(tenantId: string, id: string, access: ClientAccess): Promise<OfficeView> {
    const params: unknown[] = [tenantId, id];
    const rows: Row[] = await this.ds.query(
      `SELECT o.id, o.client_id, o.data_sealed, o.version, o.created_at, o.updated_at FROM offices o
         WHERE o.tenant_id = $1 AND o.id = $2 AND o.deleted_at IS NULL AND ${access.officeCondition('o', params)}`,
      params,
    );
    if (!rows[0]) throw new NotFoundError('office');
    return this.view(tenantId, rows[0]);
  }

  /** Throws 404 unless the office belongs to the tenant (used before linking an application to it). */
  async assertExists(tenantId: string, id: string): Promise<void> {
    const r = await this.ds.query(`SELECT 1 FROM offices WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, [tenantId, id]);
    if (!r[0]) throw new NotFoundError('office');
  }

  /**
   * The client an office is put under: required in a sharoushi tenant (api.md: every office belongs
   * to a client), refused in a company tenant (409 not_sharoushi); the client must be one the caller
   * sees (404 otherwise) and, for staff, one they hold the `offices` right on (403 right_missing).
   */
  private async checkClient(tenantId: string, access: ClientAccess, clientId: string | null | undefined): Promise<string | null> {
    const kind = await this.access.tenantKind(tenantId);
    if (kind === 'company') {
      if (clientId) throw ApplicationsErrors.notSharoushi();
      return null;
    }
    if (!clientId)
      throw new ValidationFailedError(
        [{ field: 'clientId', code: 'required', message: 'clientId is required: in a sharoushi tenant every office belongs to a client' }],
        'The office was not saved.',
      );
    const params: unknown[] = [tenantId, clientId];
    const rows = await this.ds.query(
      `SELECT 1 FROM clients c WHERE c.tenant_id = $1 AND c.id = $2 AND ${access.clientCondition('c', params)}`,
      params,
    );
    if (!rows[0]) throw new NotFoundError('client');
    access.require(clientId, 'offices');
    return clientId;
  }

  /** Inserts an office in the caller's transaction (the CSV import); no audit event of its own. */
  async insert(m: EntityManager, tenantId: string, clientId: string | null, data: OfficeData): Promise<string> {
    const id = randomUUID();
    const sealed = await this.sealing.seal(tenantId, PURPOSE.office, id, JSON.stringify(data));
    await m.query(`INSERT INTO offices (id, tenant_id, client_id, data_sealed) VALUES ($1, $2, $3, $4)`, [id, tenantId, clientId, sealed]);
    return id;
  }

  async create(tenantId: string, caller: Caller, dto: CreateOfficeDto): Promise<OfficeView> {
    const access = await this.access.of(caller);
    const data = this.normalise(dto);
    const clientId = await this.checkClient(tenantId, access, dto.clientId);
    const id = await this.ds.transaction((m) => this.insert(m, tenantId, clientId, data));
    await this.audit.record({
      category: 'operation',
      action: 'office.created',
      outcome: 'success',
      tenantId,
      target: { type: 'office', id },
      details: { identifiers: ID_FIELDS.filter((f) => data[f] !== null).length, ...(clientId ? { clientId } : {}) },
    });
    return this.get(tenantId, id, access);
  }

  async update(tenantId: string, caller: Caller, id: string, dto: UpdateOfficeDto): Promise<OfficeView> {
    const access = await this.access.of(caller);
    const current = await this.get(tenantId, id, access);
    // Changing an office needs the `offices` right on its client, and on the client it moves to.
    access.require(current.clientId, 'offices');
    const clientId =
      dto.clientId !== undefined && dto.clientId !== current.clientId
        ? await this.checkClient(tenantId, access, dto.clientId)
        : current.clientId;
    const merged: Omit<CreateOfficeDto, 'clientId'> = {
      name: dto.name ?? current.name,
      address: dto.address !== undefined ? dto.address : (current.address ?? undefined),
    };
    for (const f of ID_FIELDS) merged[f] = dto[f] !== undefined ? dto[f] : (current[f] ?? undefined);
    const data = this.normalise(merged);
    const sealed = await this.sealing.seal(tenantId, PURPOSE.office, id, JSON.stringify(data));
    const r: [unknown[], number] = await this.ds.query(
      `UPDATE offices SET data_sealed = $3, client_id = $5, version = version + 1, updated_at = now()
         WHERE tenant_id = $1 AND id = $2 AND version = $4 AND deleted_at IS NULL`,
      [tenantId, id, sealed, dto.version, clientId],
    );
    if (r[1] === 0) throw ApplicationsErrors.versionConflict('office');
    const changed: string[] = (Object.keys(data) as Array<keyof OfficeData>).filter((k) => data[k] !== current[k]);
    if (clientId !== current.clientId) changed.push('clientId');
    await this.audit.record({
      category: 'operation',
      action: 'office.updated',
      outcome: 'success',
      tenantId,
      target: { type: 'office', id },
      details: { changes: changed },
    });
    return this.get(tenantId, id, access);
  }
}
