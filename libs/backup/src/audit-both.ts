import type { AuditRecord, AuditService } from '@charlotte/audit';

/**
 * api.md: every backup, restore, contract and deletion action is recorded on the platform chain
 * (tenantId null, where operators and auditors follow all tenants) and on the tenant's own chain
 * while it exists (`tenantChain` false once the tenant's chain has been closed by its deletion).
 */
export async function recordOnBothChains(
  audit: AuditService,
  tenantId: string,
  event: Omit<AuditRecord, 'tenantId'>,
  tenantChain = true,
): Promise<void> {
  await audit.record({ ...event, tenantId: null });
  if (tenantChain) await audit.record({ ...event, tenantId });
}
