import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { IpAllowlistService } from '@charlotte/auth';
import { ConflictError, NotFoundError } from '@charlotte/core';
import { NoticesService } from '../notices/notices.service';
import type { IpAllowlistResetDto } from './ip-allowlist-reset.dto';

/**
 * Break-glass for a tenant that locked itself out with its IP allow-list (api.md: operators
 * `POST /operator/tenants/:code/ip-allowlist/disable`). The list is switched off, its entries
 * kept; the operator's action is recorded on the platform chain (where operators are followed)
 * and on the tenant's, and every administrator of the tenant gets an お知らせ so that a reset
 * they did not ask for is seen. Here rather than in libs/auth, which may not use お知らせ.
 */
@Injectable()
export class IpAllowlistResetService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly allowlist: IpAllowlistService,
    private readonly notices: NoticesService,
    private readonly audit: AuditService,
  ) {}

  async disable(code: string): Promise<IpAllowlistResetDto> {
    const r: Array<{ id: string; code: string; status: string }> = await this.ds.query(
      'SELECT id, code, status FROM tenants WHERE code = $1',
      [code.trim().toLowerCase()],
    );
    const tenant = r[0];
    if (!tenant) throw new NotFoundError('tenant');
    if (tenant.status === 'deleted') throw new ConflictError('tenant_deleted', 'This tenant was deleted; nothing of it can be changed.');
    const out = await this.ds.transaction(async (m) => {
      const res = await this.allowlist.disable(m, tenant.id);
      const adminsNotified = res.wasEnabled ? await this.notices.addForAdmins(m, tenant.id, 'ip_allowlist_disabled') : 0;
      return { ...res, adminsNotified };
    });
    const event = {
      category: 'security' as const,
      action: 'ip_allowlist.disabled' as const,
      outcome: 'success' as const,
      target: { type: 'tenant', id: tenant.id },
      details: { by: 'operator', wasEnabled: out.wasEnabled, entries: out.entries, adminsNotified: out.adminsNotified },
    };
    await this.audit.record({ ...event, tenantId: null });
    await this.audit.record({ ...event, tenantId: tenant.id });
    return { code: tenant.code, ...out };
  }
}
