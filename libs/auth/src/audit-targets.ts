import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditTargetName, AuditTargetRegistry } from '@charlotte/audit';
import { UserNamesService } from './users/user-names.service';

const named = (rows: Array<{ id: string; name: string }>) => new Map<string, AuditTargetName>(rows.map((r) => [r.id, { label: r.name }]));

/**
 * How the audit log names what libs/auth owns: users (display names, unsealed for the viewer's
 * tenant only), API tokens (their names) and the tenant itself. Registered with libs/audit,
 * which never reads these tables.
 */
@Injectable()
export class AuthAuditTargets implements OnModuleInit {
  constructor(
    private readonly registry: AuditTargetRegistry,
    private readonly names: UserNamesService,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      type: 'user',
      // Display names are personal data; no API scope grants them.
      tokenScope: null,
      resolve: async (tenantId, ids) =>
        new Map([...(await this.names.namesOf(tenantId, ids))].map(([id, label]) => [id, { label }] as const)),
    });
    this.registry.register({
      type: 'api_token',
      tokenScope: 'audit:read',
      resolve: async (tenantId, ids) =>
        named(await this.ds.query(`SELECT id, name FROM api_tokens WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [tenantId, ids])),
    });
    this.registry.register({
      type: 'tenant',
      tokenScope: 'audit:read',
      // Only the viewer's own tenant is ever named.
      resolve: async (tenantId, ids) =>
        named(ids.includes(tenantId) ? await this.ds.query(`SELECT id, name FROM tenants WHERE id = $1`, [tenantId]) : []),
    });
  }
}
