import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { FieldError, NotFoundError, ValidationFailedError } from '@charlotte/core';
import { SealingService } from '@charlotte/crypto';
import { CreateOfficeDto, OfficeView, UpdateOfficeDto } from './dto/office.dto';
import { normaliseOfficeId, OFFICE_ID_ERRORS, OfficeIdField } from './office-identifiers';
import { PURPOSE } from '../sealing-purposes';
import { ApplicationsErrors } from '../errors';

const ID_FIELDS: OfficeIdField[] = ['pensionOfficeCode', 'pensionOfficeNumber', 'employmentOfficeNumber', 'laborInsuranceNumber'];

interface OfficeData {
  name: string;
  address: string | null;
  pensionOfficeCode: string | null;
  pensionOfficeNumber: string | null;
  employmentOfficeNumber: string | null;
  laborInsuranceNumber: string | null;
}

interface Row {
  id: string;
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
  ) {}

  private normalise(dto: CreateOfficeDto): OfficeData {
    const errors: FieldError[] = [];
    const out: OfficeData = {
      name: dto.name.trim(),
      address: dto.address?.trim() || null,
      pensionOfficeCode: null,
      pensionOfficeNumber: null,
      employmentOfficeNumber: null,
      laborInsuranceNumber: null,
    };
    if (!out.name) errors.push({ field: 'name', code: 'required', message: 'name must not be blank' });
    for (const f of ID_FIELDS) {
      const v = dto[f]?.trim();
      if (!v) continue;
      const n = normaliseOfficeId(f, v);
      if (n === undefined) errors.push({ field: f, code: OFFICE_ID_ERRORS[f].code, message: OFFICE_ID_ERRORS[f].message });
      else out[f] = n;
    }
    if (errors.length) throw new ValidationFailedError(errors, 'The office was not saved.');
    return out;
  }

  private async view(tenantId: string, r: Row): Promise<OfficeView> {
    const d = JSON.parse(await this.sealing.openString(tenantId, PURPOSE.office, r.id, r.data_sealed)) as OfficeData;
    return {
      id: r.id,
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

  async list(tenantId: string): Promise<OfficeView[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT id, data_sealed, version, created_at, updated_at FROM offices WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
      [tenantId],
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

  async get(tenantId: string, id: string): Promise<OfficeView> {
    const rows: Row[] = await this.ds.query(
      `SELECT id, data_sealed, version, created_at, updated_at FROM offices WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`,
      [tenantId, id],
    );
    if (!rows[0]) throw new NotFoundError('office');
    return this.view(tenantId, rows[0]);
  }

  /** Throws 404 unless the office belongs to the tenant (used before linking an application to it). */
  async assertExists(tenantId: string, id: string): Promise<void> {
    const r = await this.ds.query(`SELECT 1 FROM offices WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, [tenantId, id]);
    if (!r[0]) throw new NotFoundError('office');
  }

  async create(tenantId: string, dto: CreateOfficeDto): Promise<OfficeView> {
    const data = this.normalise(dto);
    const id = randomUUID();
    const sealed = await this.sealing.seal(tenantId, PURPOSE.office, id, JSON.stringify(data));
    await this.ds.query(`INSERT INTO offices (id, tenant_id, data_sealed) VALUES ($1, $2, $3)`, [id, tenantId, sealed]);
    await this.audit.record({
      category: 'operation',
      action: 'office.created',
      outcome: 'success',
      tenantId,
      target: { type: 'office', id },
      details: { identifiers: ID_FIELDS.filter((f) => data[f] !== null).length },
    });
    return this.get(tenantId, id);
  }

  async update(tenantId: string, id: string, dto: UpdateOfficeDto): Promise<OfficeView> {
    const current = await this.get(tenantId, id);
    const merged: CreateOfficeDto = {
      name: dto.name ?? current.name,
      address: dto.address !== undefined ? dto.address : (current.address ?? undefined),
    };
    for (const f of ID_FIELDS) merged[f] = dto[f] !== undefined ? dto[f] : (current[f] ?? undefined);
    const data = this.normalise(merged);
    const sealed = await this.sealing.seal(tenantId, PURPOSE.office, id, JSON.stringify(data));
    const r: [unknown[], number] = await this.ds.query(
      `UPDATE offices SET data_sealed = $3, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 AND version = $4 AND deleted_at IS NULL`,
      [tenantId, id, sealed, dto.version],
    );
    if (r[1] === 0) throw ApplicationsErrors.versionConflict('office');
    const changed = (Object.keys(data) as Array<keyof OfficeData>).filter((k) => data[k] !== current[k]);
    await this.audit.record({
      category: 'operation',
      action: 'office.updated',
      outcome: 'success',
      tenantId,
      target: { type: 'office', id },
      details: { changes: changed },
    });
    return this.get(tenantId, id);
  }
}
