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
  const release = await acquireTenantLock(ds, tenantId);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * Takes the tenant's operation lock now (409 `tenant_busy` if held) and
 * returns its release: for work that answers 202 at once and runs on in the
 * background (HTTP backup and restore), so that "busy" is still answered
 * synchronously.
 */
export async function acquireTenantLock(ds: DataSource, tenantId: string): Promise<() => Promise<void>> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const got: Array<{ ok: boolean }> = await runner.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
      TENANT_LOCK_NAMESPACE,
      tenantId,
    ]);
    if (!got[0].ok) throw BackupErrors.tenantBusy();
  } catch (e) {
    await runner.release();
    throw e;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    try {
      await runner.query('SELECT pg_advisory_unlock($1, hashtext($2))', [TENANT_LOCK_NAMESPACE, tenantId]);
    } finally {
      await runner.release();
    }
  };
}
