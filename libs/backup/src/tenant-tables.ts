import type { DataSource, EntityManager } from 'typeorm';
import { KEY_STORE_TABLES } from '@charlotte/crypto';

/**
 * Which tables hold a tenant's data, found from the schema itself: every table
 * of the `public` schema with a `tenant_id` column. A table added by a later
 * migration is therefore backed up and deleted without touching this lib; the
 * schema-coverage test (tenant-tables.int-spec.ts) fails when a table has
 * neither a `tenant_id` nor an entry in GLOBAL_TABLES.
 */

/** Tables without `tenant_id`, and why none of them holds tenant content. */
export const GLOBAL_TABLES: Readonly<Record<string, string>> = {
  tenants: 'the contract itself; its row stays (status deleted) and holds code and name only',
  schema_migrations: 'TypeORM migration history',
  audit_checkpoints: 'signed heads of the audit chains (hashes and signatures, no content)',
  scheduled_job_runs: 'which cron slot of which scheduled job has run (job names and times only)',
  rate_limit_hits: 'per-address request counters under hashed keys, a minute long; no tenant content',
  incidents:
    'platform incidents (運用からのお知らせ) written by operators about the service; the tenants they affect are in incident_tenants',
  incident_updates: 'the updates of platform incidents, written by operators; no tenant content',
  operator_alerts: 'platform operator alerts: causes, fixed summaries, ids and counts (no tenant content)',
  alert_conditions: 'when a platform-wide failure condition (e.g. e-Gov unreachable) began',
};

/**
 * Tenant tables that are never in an archive, and that a restore leaves as
 * they are (api.md): the append-only audit trail, the key store (an archive
 * carrying its own wrapped keys would survive crypto-shredding), and
 * short-lived security state whose resurrection would reopen what was closed
 * after the backup (sessions, one-time SAML and e-Gov login state, the replay
 * cache of SAML assertions, login-failure counters), and the mail outbox (a
 * restored pending row would send an old mail again).
 */
export const NOT_IN_ARCHIVE: readonly string[] = [
  'audit_events',
  'audit_chains',
  ...KEY_STORE_TABLES,
  'sessions',
  'saml_requests',
  'saml_assertion_ids',
  'saml_handoffs',
  'egov_link_requests',
  'login_failures',
  'mail_outbox',
  // the webhook outbox and delivery log: a restored pending row would send an old event again
  'webhook_deliveries',
  // which incidents (運用からのお知らせ) affect the tenant: the operators' record, not the tenant's
  // data; a restore must not roll it back to the backup's day (a deletion still removes it)
  'incident_tenants',
];

/** Prefixes of tables that record backups and deletions themselves: never archived. */
export const NOT_IN_ARCHIVE_PREFIXES: readonly string[] = ['backup_', 'deletion_'];

/**
 * Tenant tables whose rows outlive the tenant's deletion (api.md): the audit
 * trail (no personal data, 5-year retention; closed by `tenant.deleted` and a
 * signed checkpoint), the key-status tombstone (no key material), and the
 * deletion's own records.
 */
export const KEPT_AFTER_DELETION: readonly string[] = ['audit_events', 'audit_chains', 'tenant_key_status'];
export const KEPT_AFTER_DELETION_PREFIXES: readonly string[] = ['deletion_'];

export interface TenantTable {
  name: string;
  /** Columns in table order (what COPY writes and reads). */
  columns: string[];
}

/**
 * Every table with a `tenant_id`, parents before children along the foreign
 * keys between them (insert in this order, delete in reverse). Ties are broken
 * by name so the order is stable.
 */
export async function discoverTenantTables(db: DataSource | EntityManager): Promise<TenantTable[]> {
  const cols: Array<{ table_name: string; column_name: string }> = await db.query(
    `SELECT c.table_name, c.column_name
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
        AND c.table_name IN (SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id')
      ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  for (const c of cols) {
    const list = tables.get(c.table_name) ?? [];
    list.push(c.column_name);
    tables.set(c.table_name, list);
  }
  const fks: Array<{ child: string; parent: string }> = await db.query(
    `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
       FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`,
  );
  const parents = new Map<string, Set<string>>();
  for (const name of tables.keys()) parents.set(name, new Set());
  for (const fk of fks) {
    if (fk.child !== fk.parent && tables.has(fk.child) && tables.has(fk.parent)) parents.get(fk.child)!.add(fk.parent);
  }
  const ordered: TenantTable[] = [];
  const done = new Set<string>();
  const remaining = [...tables.keys()].sort();
  while (remaining.length) {
    const i = remaining.findIndex((n) => [...parents.get(n)!].every((p) => done.has(p)));
    if (i < 0) throw new Error(`foreign-key cycle among tenant tables: ${remaining.join(', ')}`);
    const [name] = remaining.splice(i, 1);
    done.add(name);
    ordered.push({ name, columns: tables.get(name)! });
  }
  return ordered;
}

const matches = (name: string, names: readonly string[], prefixes: readonly string[]) =>
  names.includes(name) || prefixes.some((p) => name.startsWith(p));

/** The tenant tables an archive holds (and a restore replaces), parents first. */
export function archivedTables(all: TenantTable[]): TenantTable[] {
  return all.filter((t) => !matches(t.name, NOT_IN_ARCHIVE, NOT_IN_ARCHIVE_PREFIXES));
}

/** The tenant tables a deletion empties of the tenant's rows, children first (the order to delete in). */
export function deletedTables(all: TenantTable[]): TenantTable[] {
  return all.filter((t) => !matches(t.name, KEPT_AFTER_DELETION, KEPT_AFTER_DELETION_PREFIXES)).reverse();
}

/** Tables of the public schema that have no tenant_id and are not declared global: a coverage gap. */
export async function uncoveredTables(db: DataSource | EntityManager): Promise<string[]> {
  const r: Array<{ table_name: string }> = await db.query(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
        AND table_name NOT IN (SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id')
      ORDER BY table_name`,
  );
  return r.map((x) => x.table_name).filter((n) => !(n in GLOBAL_TABLES));
}
