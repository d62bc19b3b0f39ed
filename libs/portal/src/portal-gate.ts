import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditTargetRegistry } from '@charlotte/audit';
import { SessionGates, SessionSubject } from '@charlotte/auth';
import { KeyRotationService } from '@charlotte/crypto';
import { PortalErrors } from './errors';
import { RequestsService } from './requests/requests.service';
import { PURPOSE } from './sealing-purposes';

/**
 * What this lib plugs into lower ones: the portal check at login and on every session request
 * (libs/auth SessionGates), the tenant key rotation of the sealed 依頼 columns, and the audit log's
 * names of 依頼.
 *
 * A portal user logs in and keeps a session only while their 顧問先 exists with its portal turned
 * on: turning it off (PATCH /clients/:id portalEnabled=false) refuses their next login and every
 * request of their open sessions at once (403 portal_disabled), without waiting for a session to
 * expire; turning it back on lets them in again. Other roles pass without a query.
 */
@Injectable()
export class PortalRegistrations implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly gates: SessionGates,
    private readonly rotation: KeyRotationService,
    private readonly auditTargets: AuditTargetRegistry,
    private readonly requests: RequestsService,
  ) {}

  onModuleInit(): void {
    this.gates.register((s) => this.assertPortalOpen(s));
    this.rotation.register({ table: 'client_requests', column: 'title_sealed', purpose: PURPOSE.requestTitle });
    this.rotation.register({ table: 'client_requests', column: 'body_sealed', purpose: PURPOSE.requestBody });
    // The audit log names a 依頼 by its title, unsealed for the viewer's tenant only; never for API tokens.
    this.auditTargets.register({
      type: 'client_request',
      tokenScope: null,
      resolve: async (tenantId, ids) => new Map([...(await this.requests.titlesOf(tenantId, ids))].map(([id, label]) => [id, { label }])),
    });
  }

  private async assertPortalOpen(s: SessionSubject): Promise<void> {
    if (s.role !== 'client') return;
    const rows: Array<{ open: boolean }> = await this.ds.query(
      `SELECT c.portal_enabled AS open FROM users u JOIN clients c ON c.tenant_id = u.tenant_id AND c.id = u.client_id
        WHERE u.id = $1 AND u.tenant_id = $2`,
      [s.userId, s.tenantId],
    );
    if (!rows[0]?.open) throw PortalErrors.portalDisabled();
  }
}
