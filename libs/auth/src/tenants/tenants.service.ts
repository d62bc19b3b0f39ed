import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { FieldError, ValidationFailedError } from '@charlotte/core';
import { AuthErrors } from '../errors';
import { TenantKeysService } from '@charlotte/crypto';
import { Tenant, TENANT_KINDS, TenantKind } from './tenant.entity';

/** Reserved: the login "tenant" of platform operators. */
export const PLATFORM_TENANT_CODE = 'platform';
export const TENANT_CODE_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

@Injectable()
export class TenantsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly keys: TenantKeysService,
  ) {}

  async create(code: string, name: string, kind: TenantKind = 'company'): Promise<Tenant> {
    const normalized = code.trim().toLowerCase();
    const errors: FieldError[] = [];
    if (!TENANT_CODE_PATTERN.test(normalized) || normalized === PLATFORM_TENANT_CODE) {
      errors.push({
        field: 'code',
        code: 'tenant_code',
        message: 'code must be 1-32 lowercase letters, digits or hyphens and not reserved',
      });
    }
    if (!name.trim() || name.length > 200)
      errors.push({ field: 'name', code: 'length_between', params: { min: 1, max: 200 }, message: 'name must be 1-200 characters' });
    if (!TENANT_KINDS.includes(kind)) errors.push({ field: 'kind', code: 'not_in_list', message: 'kind must be company or sharoushi' });
    if (errors.length) throw new ValidationFailedError(errors);
    const repo = this.ds.getRepository(Tenant);
    if (await repo.exists({ where: { code: normalized } })) {
      throw AuthErrors.tenantCodeTaken(normalized);
    }
    // The tenant and its first data key exist together or not at all.
    const tenant = await this.ds.transaction(async (m) => {
      const r = m.getRepository(Tenant);
      const t = await r.save(r.create({ code: normalized, name: name.trim(), status: 'active', kind }));
      await this.keys.createFor(t.id, m);
      return t;
    });
    await this.audit.record({
      category: 'operation',
      action: 'tenant.created',
      outcome: 'success',
      tenantId: null,
      target: { type: 'tenant', id: tenant.id },
      details: { kind },
    });
    return tenant;
  }

  findByCode(code: string): Promise<Tenant | null> {
    return this.ds.getRepository(Tenant).findOne({ where: { code: code.trim().toLowerCase() } });
  }

  findById(id: string): Promise<Tenant | null> {
    return this.ds.getRepository(Tenant).findOne({ where: { id } });
  }
}
