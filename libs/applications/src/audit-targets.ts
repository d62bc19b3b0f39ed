import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditTargetName, AuditTargetRegistry } from '@charlotte/audit';
import { ApplicationsService } from './applications/applications.service';
import { AttachmentsService } from './attachments/attachments.service';
import { OfficesService } from './offices/offices.service';

const labels = (m: Map<string, string>) => new Map<string, AuditTargetName>([...m].map(([id, label]) => [id, { label }]));

/**
 * How the audit log names what libs/applications owns: applications (their titles), offices and
 * attachments, each unsealed with the viewer's tenant key, for that tenant's ids only. An API
 * token sees them only with applications:read (the scope that lets it read them anyway).
 */
@Injectable()
export class ApplicationsAuditTargets implements OnModuleInit {
  constructor(
    private readonly registry: AuditTargetRegistry,
    private readonly applications: ApplicationsService,
    private readonly offices: OfficesService,
    private readonly attachments: AttachmentsService,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      type: 'application',
      tokenScope: 'applications:read',
      resolve: async (tenantId, ids) => labels(await this.applications.titlesOf(tenantId, ids)),
    });
    this.registry.register({
      type: 'office',
      tokenScope: 'applications:read',
      resolve: async (tenantId, ids) =>
        new Map([...(await this.offices.namesOf(tenantId, ids))].map(([id, o]) => [id, { label: o.name, deleted: o.deleted }] as const)),
    });
    this.registry.register({
      type: 'attachment',
      tokenScope: 'applications:read',
      resolve: async (tenantId, ids) => labels(await this.attachments.namesOf(tenantId, ids)),
    });
  }
}
