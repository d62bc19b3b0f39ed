import { DataSource } from 'typeorm';
import { BackupErrors } from './errors';

/**
 * One long operation per tenant at a time: a restore, a deletion (and a
 * generation, which must not read a half-restored tenant) hold this
 * session-level advisory lock for as long as they run, across all instances.
 * The key is derived from the tenant id inside PostgreSQL (hashtext), in a
 * namespace of its own (the two-int form), so it never collides with the
 * fixed single-key job locks.
 */
const TENANT_LOCK_NAMESPACE = 774_215_000;

/**
 * Runs `fn` while holding the tenant's operation lock; another holder means
 * 409 `tenant_busy` (api.md: refused while another restore or deletion runs).
 * The lock is on a dedicated connection and is released however `fn` ends.
 */
export async function withTenantLock<T>(ds: DataSource, tenantId: string, fn: () => Promise<T>): Promise<T> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const got: Array<{ ok: boolean }> = await runner.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
      TENANT_LOCK_NAMESPACE,
      tenantId,
    ]);
    if (!got[0].ok) throw BackupErrors.tenantBusy();
    try {
      return await fn();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1, hashtext($2))', [TENANT_LOCK_NAMESPACE, tenantId]);
    }
  } finally {
    await runner.release();
  }
}
