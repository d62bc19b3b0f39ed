import type { DataSource, EntityManager } from 'typeorm';
import { BackupErrors } from './errors';

export type ContractStatus = 'active' | 'cancelled' | 'deleted';

export interface TenantRef {
  id: string;
  code: string;
  name: string;
  status: ContractStatus;
}

/**
 * The tenant an operator names by its 契約コード; 404 when there is none. The
 * platform itself is not a tenant row (operators have tenant_id NULL), so it
 * can never be backed up, cancelled or deleted through these paths.
 */
export async function tenantByCode(db: DataSource | EntityManager, code: string): Promise<TenantRef> {
  const r: TenantRef[] = await db.query(`SELECT id, code, name, status FROM tenants WHERE code = $1`, [
    String(code ?? '')
      .trim()
      .toLowerCase(),
  ]);
  if (!r[0]) throw BackupErrors.tenantNotFound();
  return r[0];
}

export async function tenantById(db: DataSource | EntityManager, id: string): Promise<TenantRef> {
  const r: TenantRef[] = await db.query(`SELECT id, code, name, status FROM tenants WHERE id = $1`, [id]);
  if (!r[0]) throw BackupErrors.tenantNotFound();
  return r[0];
}
