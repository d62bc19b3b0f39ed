import { DataSource } from 'typeorm';
import { runMigrations } from '@charlotte/core';
import { createAppDataSource } from '../../../apps/api/src/schema';
import { createTestDatabase, TestDatabase } from '../../../test/support/db';
import { archivedTables, deletedTables, discoverTenantTables, GLOBAL_TABLES, uncoveredTables } from './tenant-tables';

describe('tenant tables (schema coverage of backup and deletion)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('charlotte_tt');
    ds = createAppDataSource(db.url, 2, 'tenant-tables-test');
    await ds.initialize();
    await runMigrations(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('every table of the schema either has tenant_id or is declared global with a reason', async () => {
    expect(await uncoveredTables(ds)).toEqual([]);
    for (const name of Object.keys(GLOBAL_TABLES)) {
      const cols: unknown[] = await ds.query(
        `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = 'tenant_id'`,
        [name],
      );
      expect({ name, hasTenantId: cols.length > 0 }).toEqual({ name, hasTenantId: false });
    }
  });

  it('a table added later with a tenant_id is archived and deleted without code changes; one without is a gap', async () => {
    await ds.query(`CREATE TABLE zz_future (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, note text)`);
    await ds.query(`CREATE TABLE zz_orphan (id uuid PRIMARY KEY, note text)`);
    try {
      const all = await discoverTenantTables(ds);
      expect(archivedTables(all).map((t) => t.name)).toContain('zz_future');
      expect(deletedTables(all).map((t) => t.name)).toContain('zz_future');
      expect(await uncoveredTables(ds)).toEqual(['zz_orphan']);
    } finally {
      await ds.query(`DROP TABLE zz_future; DROP TABLE zz_orphan`);
    }
  });

  it('orders parents before children (insert order) and children first for deletion', async () => {
    const all = await discoverTenantTables(ds);
    const order = archivedTables(all).map((t) => t.name);
    expect(order.indexOf('offices')).toBeLessThan(order.indexOf('applications'));
    expect(order.indexOf('applications')).toBeLessThan(order.indexOf('attachments'));
    expect(order.indexOf('users')).toBeLessThan(order.indexOf('user_keys'));
    const del = deletedTables(all).map((t) => t.name);
    expect(del.indexOf('attachments')).toBeLessThan(del.indexOf('applications'));
    expect(archivedTables(all).map((t) => t.name)).not.toEqual(expect.arrayContaining(['audit_events']));
    expect(order).not.toContain('tenant_keys');
    expect(order).not.toContain('sessions');
    expect(del).not.toContain('audit_events');
    expect(del).not.toContain('tenant_key_status');
    expect(del).toContain('tenant_keys');
  });
});
