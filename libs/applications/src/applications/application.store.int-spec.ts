import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConfigModule, ConflictError, HealthModule, loadConfig, NotFoundError, runMigrations } from '@charlotte/core';
import { CryptoModule, TenantKeysService } from '@charlotte/crypto';
import { appDataSourceOptions } from '../../../../apps/api/src/schema';
import { createTestDatabase, TestDatabase } from '../../../../test/support/db';
import { ApplicationStore, isAllowedTransition, TRANSITIONS } from './application.store';
import { APPLICATION_STATUSES, ApplicationStatus } from './dto/application.dto';
import { EditGuardRegistry } from './extensions';

/** The state machine of applications on a real PostgreSQL: every allowed and every refused transition. */
describe(ApplicationStore.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let app: INestApplication;
  let sut: ApplicationStore;
  let guards: EditGuardRegistry;
  let dataDir: string;
  const tenantId = randomUUID();
  const otherTenantId = randomUUID();
  const officeId = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-store-'));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_STDOUT: 'false' });
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), TypeOrmModule.forRoot(appDataSourceOptions(db.url, 5)), HealthModule, CryptoModule],
      providers: [EditGuardRegistry, ApplicationStore],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    ds = app.get(DataSource);
    await runMigrations(ds);
    sut = app.get(ApplicationStore);
    guards = app.get(EditGuardRegistry);
    // Test fixtures written directly: the store under test is what the rest of the code goes through.
    for (const [id, code] of [
      [tenantId, 'store-a'],
      [otherTenantId, 'store-b'],
    ])
      await ds.query(`INSERT INTO tenants (id, code, name) VALUES ($1, $2, $2)`, [id, code]);
    await app.get(TenantKeysService).createFor(tenantId);
    await ds.query(`INSERT INTO offices (id, tenant_id, data_sealed) VALUES ($1, $2, $3)`, [officeId, tenantId, Buffer.from('x')]);
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** An application of `tenantId` already in `status` (the fixture bypasses the store on purpose). */
  async function seeded(status: ApplicationStatus): Promise<string> {
    const id = randomUUID();
    await ds.query(
      `INSERT INTO applications (id, tenant_id, office_id, procedure_code, procedure_version, status, title_sealed, form_sealed)
       VALUES ($1, $2, $3, 'shaho-shutoku', 1, $4, '\\x00', '\\x00')`,
      [id, tenantId, officeId, status],
    );
    return id;
  }

  const state = async (id: string) =>
    (
      (await ds.query(`SELECT status, version, egov_status FROM applications WHERE id = $1`, [id])) as Array<{
        status: ApplicationStatus;
        version: number;
        egov_status: string | null;
      }>
    )[0];
  const events = (id: string): Promise<Array<{ kind: string; from_status: string; to_status: string; actor: string; details: object }>> =>
    ds.query(`SELECT kind, from_status, to_status, actor, details FROM application_events WHERE application_id = $1 ORDER BY id`, [id]);

  const pairs = APPLICATION_STATUSES.flatMap((from) => APPLICATION_STATUSES.filter((to) => to !== from).map((to) => [from, to] as const));
  const allowed = pairs.filter(([from, to]) => isAllowedTransition(from, to));
  const refused = pairs.filter(([from, to]) => !isAllowedTransition(from, to));

  it('declares the transitions every writer makes', () => {
    // submit, validate, edit after validation, reopen, arrival, failure, 補正 done, 取下げ done (3), and the status poll.
    expect(allowed).toEqual(
      expect.arrayContaining([
        ['draft', 'ready'],
        ['ready', 'draft'],
        ['ready', 'submitting'],
        ['submitting', 'arrived'],
        ['submitting', 'failed'],
        ['failed', 'draft'],
        ['correction_requested', 'under_review'],
        ['arrived', 'withdrawn'],
        ['under_review', 'withdrawn'],
        ['correction_requested', 'withdrawn'],
        ['under_review', 'review_finished'],
        ['review_finished', 'completed'],
      ]),
    );
    expect(new Set(TRANSITIONS.map((t) => `${t.from}>${t.to}`)).size).toBe(allowed.length);
  });

  it.each(allowed)('moves %s -> %s with a version, the columns set and a status event', async (from, to) => {
    const id = await seeded(from);
    await expect(
      ds.transaction((m) =>
        sut.transition(m, tenantId, id, { from, to, actor: 'user:u1', set: { egov_status: 'x' }, details: { why: 'test' } }),
      ),
    ).resolves.toBe(true);
    expect(await state(id)).toEqual({ status: to, version: 2, egov_status: 'x' });
    expect(await events(id)).toEqual([{ kind: 'status', from_status: from, to_status: to, actor: 'user:u1', details: { why: 'test' } }]);
  });

  it.each(refused)('refuses %s -> %s (409 invalid_transition), changing nothing', async (from, to) => {
    const id = await seeded(from);
    const e = await ds.transaction((m) => sut.transition(m, tenantId, id, { from, to, actor: 'system' })).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConflictError);
    expect((e as ConflictError).code).toBe('invalid_transition');
    expect(await state(id)).toEqual({ status: from, version: 1, egov_status: null });
    expect(await events(id)).toEqual([]);
  });

  it('does not move an application that is no longer in `from` (another writer got there first)', async () => {
    const id = await seeded('under_review');
    await expect(
      ds.transaction((m) => sut.transition(m, tenantId, id, { from: 'arrived', to: 'withdrawn', actor: 'system' })),
    ).resolves.toBe(false);
    expect(await state(id)).toEqual({ status: 'under_review', version: 1, egov_status: null });
    expect(await events(id)).toEqual([]);
  });

  it("does not move another tenant's application", async () => {
    const id = await seeded('draft');
    await expect(
      ds.transaction((m) => sut.transition(m, otherTenantId, id, { from: 'draft', to: 'ready', actor: 'system' })),
    ).resolves.toBe(false);
    await expect(sut.row(otherTenantId, id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(ds.transaction((m) => sut.lock(m, otherTenantId, id))).rejects.toBeInstanceOf(NotFoundError);
    expect((await state(id)).status).toBe('draft');
  });

  it('inserts a draft with its created event and seals the form so that only openForm reads it', async () => {
    const id = randomUUID();
    const [title, form] = await Promise.all([sut.sealTitle(tenantId, id, '取得届'), sut.sealForm(tenantId, id, { familyName: '山田' })]);
    await ds.transaction((m) =>
      sut.insert(m, { id, tenantId, officeId, procedureCode: 'shaho-shutoku', procedureVersion: 1, title, form }, 'user:u1'),
    );
    const r = await sut.row(tenantId, id);
    expect(r.status).toBe('draft');
    expect(await sut.openForm(tenantId, r)).toEqual({ familyName: '山田' });
    expect(await sut.openTitle(tenantId, r)).toBe('取得届');
    expect(await events(id)).toEqual([{ kind: 'created', from_status: null, to_status: 'draft', actor: 'user:u1', details: {} }]);
  });

  it('changes columns without a status change, with its own event', async () => {
    const id = await seeded('draft');
    await ds.transaction((m) =>
      sut.change(m, tenantId, id, { updated_by: 'user:u2' }, { kind: 'updated', actor: 'user:u2', details: { changes: [] } }),
    );
    expect(await state(id)).toEqual({ status: 'draft', version: 2, egov_status: null });
    expect(await events(id)).toEqual([{ kind: 'updated', from_status: null, to_status: null, actor: 'user:u2', details: { changes: [] } }]);
  });

  describe('assertEditable', () => {
    it.each(['draft', 'ready', 'awaiting_approval', 'correction_requested'] as const)('lets %s be edited', async (status) => {
      await expect(sut.assertEditable(tenantId, await seeded(status))).resolves.toBeUndefined();
    });

    it.each(APPLICATION_STATUSES.filter((s) => !['draft', 'ready', 'awaiting_approval', 'correction_requested'].includes(s)))(
      'refuses an edit in %s (409 not_editable)',
      async (status) => {
        await expect(sut.assertEditable(tenantId, await seeded(status))).rejects.toMatchObject({ code: 'not_editable' });
      },
    );

    it('brings an application awaiting approval back to draft after an edit, and tells the edit hooks (承認フロー)', async () => {
      const id = await seeded('awaiting_approval');
      const seen: string[] = [];
      guards.onEdited(async (m, t, applicationId, status, actor) => {
        if (applicationId === id) seen.push(`${status}/${actor}/${m.queryRunner?.isTransactionActive ? 'in-tx' : 'outside'}`);
      });
      await ds.transaction((m) => sut.edited(m, tenantId, id, 'awaiting_approval', 'user:x'));
      expect((await sut.row(tenantId, id)).status).toBe('draft');
      expect(seen).toEqual(['awaiting_approval/user:x/in-tx']);
    });

    it('asks the registered edit guards, in the caller transaction', async () => {
      const id = await seeded('correction_requested');
      guards.register(async (m, t, applicationId, status) => {
        if (applicationId === id && status === 'correction_requested' && m !== ds)
          throw new ConflictError('action_in_progress', 'a guard said no');
      });
      await expect(sut.assertEditable(tenantId, id)).resolves.toBeUndefined();
      await expect(ds.transaction(async (m) => sut.assertEditable(tenantId, id, m, await sut.lock(m, tenantId, id)))).rejects.toMatchObject(
        { code: 'action_in_progress' },
      );
    });
  });
});
