import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConfigModule, HealthModule, loadConfig, runMigrations } from '@charlotte/core';
import { CryptoModule } from '@charlotte/crypto';
import { appDataSourceOptions } from '../../../../apps/api/src/schema';
import { createTestDatabase, TestDatabase } from '../../../../test/support/db';
import { AuditModule } from '../audit.module';
import type { AuditAction } from './audit-actions';
import { exportChain } from './audit-export';
import { AuditService } from './audit.service';
import { PersonalDataInAuditError } from './personal-data';

describe(AuditService.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let sut: AuditService;
  let dataDir: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-audit-'));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_STDOUT: 'false', DATABASE_POOL_SIZE: '20' });
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot(appDataSourceOptions(db.url, 20)),
        HealthModule,
        CryptoModule,
        AuditModule,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    ds = app.get(DataSource);
    await runMigrations(ds);
    sut = app.get(AuditService);
    close = async () => {
      await app.close();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };
  });
  afterAll(() => close());

  // Not a catalogued code on purpose: the chain stores whatever string it is given.
  const append = (tenantId: string, n: number, action = 'test.event' as AuditAction) =>
    Promise.all(
      Array.from({ length: n }, (_, i) => sut.record({ category: 'operation', action, outcome: 'success', tenantId, details: { i } })),
    );

  /** Runs SQL as a superuser with the append-only triggers off, as an attacker with DB access would. */
  const tamper = async (sql: string, params: unknown[] = []) => {
    await ds.transaction(async (em) => {
      await em.query('SET LOCAL session_replication_role = replica');
      await em.query(sql, params);
    });
  };

  it('keeps one gap-free, fork-free chain under 64 concurrent writers to one tenant', async () => {
    const t = randomUUID();
    await append(t, 64);
    const rows: Array<{ seq: string }> = await ds.query('SELECT seq FROM audit_events WHERE chain_key = $1 ORDER BY seq', [t]);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    const links: Array<{ n: string }> = await ds.query('SELECT count(DISTINCT prev_hash) AS n FROM audit_events WHERE chain_key = $1', [t]);
    expect(Number(links[0].n)).toBe(64);
    expect(await sut.verify(t)).toMatchObject({ ok: true, checked: 64, firstBrokenSeq: null, head: { seq: 64 } });
  });

  it('does not make writers to another tenant wait for a busy chain', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await append(a, 1);
    const blocker = ds.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('SELECT 1 FROM audit_chains WHERE chain_key = $1 FOR UPDATE', [a]);
    let aDone = false;
    const pendingA = append(a, 1).then(() => (aDone = true));
    await append(b, 3); // completes while chain A is locked
    expect(aDone).toBe(false);
    await blocker.commitTransaction();
    await blocker.release();
    await pendingA;
    expect((await sut.verify(a)).checked).toBe(2);
    expect((await sut.verify(b)).checked).toBe(3);
  });

  it('refuses UPDATE, DELETE and TRUNCATE through the append-only trigger', async () => {
    const t = randomUUID();
    await append(t, 2);
    await sut.checkpointAll();
    await expect(ds.query(`UPDATE audit_events SET action = 'x' WHERE chain_key = $1`, [t])).rejects.toThrow(/append-only/);
    await expect(ds.query('DELETE FROM audit_events WHERE chain_key = $1', [t])).rejects.toThrow(/append-only/);
    await expect(ds.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
    await expect(ds.query('DELETE FROM audit_checkpoints WHERE chain_key = $1', [t])).rejects.toThrow(/append-only/);
    await expect(ds.query(`UPDATE audit_checkpoints SET seq = 1 WHERE chain_key = $1`, [t])).rejects.toThrow(/append-only/);
    expect((await sut.verify(t)).checked).toBe(2);
  });

  describe('detects tampering done directly in SQL with the trigger disabled', () => {
    it.each([
      [
        'a changed field',
        (t: string) => tamper(`UPDATE audit_events SET outcome = 'failure' WHERE chain_key = $1 AND seq = 5`, [t]),
        5,
        'hash',
      ],
      [
        'changed details',
        (t: string) => tamper(`UPDATE audit_events SET details = '{"i": 99}' WHERE chain_key = $1 AND seq = 5`, [t]),
        5,
        'hash',
      ],
      ['a deleted event', (t: string) => tamper('DELETE FROM audit_events WHERE chain_key = $1 AND seq = 5', [t]), 5, 'gap'],
      [
        'two events swapped',
        (t: string) =>
          tamper(
            `UPDATE audit_events SET seq = -4 WHERE chain_key = $1 AND seq = 4;
             UPDATE audit_events SET seq = 4 WHERE chain_key = $1 AND seq = 5;
             UPDATE audit_events SET seq = 5 WHERE chain_key = $1 AND seq = -4`.replace(/\$1/g, `'${t}'`),
          ),
        4,
        'link',
      ],
      [
        'the last event removed',
        (t: string) => tamper('DELETE FROM audit_events WHERE chain_key = $1 AND seq = 8', [t]),
        8,
        'head_mismatch',
      ],
      ['the first event removed', (t: string) => tamper('DELETE FROM audit_events WHERE chain_key = $1 AND seq = 1', [t]), 1, 'gap'],
      [
        'a changed timestamp',
        (t: string) => tamper(`UPDATE audit_events SET occurred_at = occurred_at - interval '1 day' WHERE chain_key = $1 AND seq = 3`, [t]),
        3,
        'hash',
      ],
    ])('%s', async (_what, attack, brokenAt, reason) => {
      const t = randomUUID();
      for (let i = 0; i < 8; i++) await append(t, 1);
      expect((await sut.verify(t)).ok).toBe(true);
      await attack(t);
      expect(await sut.verify(t)).toMatchObject({ ok: false, firstBrokenSeq: brokenAt, reason });
    });

    it('a rewritten tail (re-hashed without the signing key) against a signed checkpoint', async () => {
      const t = randomUUID();
      await append(t, 5);
      await sut.checkpointAll();
      // The attacker rewrites event 3 and recomputes every hash from there, and the head row.
      await tamper(`UPDATE audit_events SET details = '{"i": 42}' WHERE chain_key = $1 AND seq = 3`, [t]);
      const { chainHash, eventCanonical } = await import('./canonical');
      const { rowToHashed } = await import('./audit.service');
      let prev: Buffer = (await ds.query('SELECT hash FROM audit_events WHERE chain_key = $1 AND seq = 2', [t]))[0].hash;
      for await (const rows of sut.events(t)) {
        for (const r of rows.filter((x) => Number(x.seq) >= 3)) {
          const h = chainHash(prev, eventCanonical(rowToHashed(r)));
          await tamper('UPDATE audit_events SET prev_hash = $3, hash = $4 WHERE chain_key = $1 AND seq = $2', [t, r.seq, prev, h]);
          prev = h;
        }
      }
      await tamper('UPDATE audit_chains SET head_hash = $2 WHERE chain_key = $1', [t, prev]);
      expect(await sut.verify(t)).toMatchObject({ ok: false, firstBrokenSeq: 5, reason: 'checkpoint_mismatch' });
    });

    it('a forged checkpoint', async () => {
      const t = randomUUID();
      await append(t, 3);
      await sut.checkpointAll();
      await tamper(`UPDATE audit_checkpoints SET hash = '\\x00' WHERE chain_key = $1`, [t]);
      expect(await sut.verify(t)).toMatchObject({ ok: false, reason: 'checkpoint_signature_invalid' });
    });
  });

  it('signs only the chains that moved since their last checkpoint', async () => {
    const t = randomUUID();
    await append(t, 2);
    await sut.checkpointAll();
    const count = async () => Number((await ds.query('SELECT count(*) AS n FROM audit_checkpoints WHERE chain_key = $1', [t]))[0].n);
    expect(await count()).toBe(1);
    await sut.checkpointAll();
    expect(await count()).toBe(1);
    await append(t, 1);
    await sut.checkpointAll();
    expect(await count()).toBe(2);
  });

  it('purges events past the retention and still verifies from the first kept event', async () => {
    const t = randomUUID();
    for (let i = 0; i < 6; i++) await append(t, 1);
    await tamper(`UPDATE audit_events SET occurred_at = occurred_at - interval '6 years' WHERE chain_key = $1 AND seq <= 3`, [t]);
    // the backdating itself is tampering; re-hash to model events that really are old
    const { chainHash, eventCanonical, GENESIS_HASH } = await import('./canonical');
    const { rowToHashed } = await import('./audit.service');
    let prev: Buffer = GENESIS_HASH;
    for await (const rows of sut.events(t)) {
      for (const r of rows) {
        const h = chainHash(prev, eventCanonical(rowToHashed(r)));
        await tamper('UPDATE audit_events SET prev_hash = $3, hash = $4 WHERE chain_key = $1 AND seq = $2', [t, r.seq, prev, h]);
        prev = h;
      }
    }
    await tamper('UPDATE audit_chains SET head_hash = $2 WHERE chain_key = $1', [t, prev]);
    expect((await sut.verify(t)).ok).toBe(true);
    const purged = await sut.purgeExpired();
    expect(purged).toContainEqual({ chain: t, removed: 3 });
    expect(await sut.verify(t)).toMatchObject({ ok: true, checked: 3, head: { seq: 6 } });
    // deleting the first kept event without a purge checkpoint is still caught
    await tamper('DELETE FROM audit_events WHERE chain_key = $1 AND seq = 4', [t]);
    expect(await sut.verify(t)).toMatchObject({ ok: false, firstBrokenSeq: 4 });
  });

  it('refuses personal data in details and writes nothing', async () => {
    const t = randomUUID();
    await append(t, 1);
    await expect(
      sut.record({ category: 'operation', action: 'user.created', outcome: 'success', tenantId: t, details: { email: 'taro@example.jp' } }),
    ).rejects.toThrow(PersonalDataInAuditError);
    expect((await sut.verify(t)).checked).toBe(1);
  });

  it('records quietly a refusal whose details look like personal data, without them (the refusal is never lost)', async () => {
    const t = randomUUID();
    await expect(
      sut.recordQuietly({
        category: 'security',
        action: 'auth.sso_login',
        outcome: 'failure',
        tenantId: t,
        details: { reason: 'status_not_success', status: 'urn:x:123412341234' },
      }),
    ).resolves.toBeUndefined();
    const rows = await ds.query(`SELECT action, details FROM audit_events WHERE chain_key = $1`, [t]);
    expect(rows).toEqual([{ action: 'auth.sso_login', details: { detailsDropped: 'personal_data' } }]);
  });

  describe('export, verified offline with the public key alone', () => {
    const verifier = path.resolve(__dirname, '../../../../tools/verify-audit-export.mjs');
    let t: string;
    let exportFile: string;
    let keyFile: string;

    beforeAll(async () => {
      t = randomUUID();
      await append(t, 20);
      await sut.checkpointAll();
      await append(t, 2);
      let text = '';
      for await (const chunk of exportChain(sut, t, 'jsonl', sut.signingKey())) text += chunk;
      exportFile = path.join(dataDir, 'export.jsonl');
      fs.writeFileSync(exportFile, text);
      keyFile = path.join(dataDir, 'key.json');
      fs.writeFileSync(keyFile, JSON.stringify({ keys: [sut.signingKey()] }));
    });

    const run = (file: string, key = keyFile) => {
      const r = spawnSync(process.execPath, [verifier, file, key], { encoding: 'utf8' });
      return { status: r.status, result: JSON.parse(r.stdout.trim() || '{}') };
    };

    it('verifies an untouched export', () => {
      expect(run(exportFile)).toMatchObject({ status: 0, result: { ok: true, checked: 22, checkpoints: 1 } });
    });

    it('fails after one byte of an event is changed', () => {
      const text = fs.readFileSync(exportFile, 'utf8');
      const i = text.indexOf('"action":"test.event"', text.indexOf('"seq":7,'));
      const bad = path.join(dataDir, 'bad.jsonl');
      fs.writeFileSync(bad, text.slice(0, i + 10) + 'E' + text.slice(i + 11));
      expect(run(bad)).toMatchObject({ status: 1, result: { ok: false, firstBrokenSeq: 7 } });
    });

    it('fails after one byte of a checkpoint signature is changed', () => {
      const text = fs.readFileSync(exportFile, 'utf8');
      const i = text.indexOf('"signature":"') + 14;
      const bad = path.join(dataDir, 'bad-sig.jsonl');
      fs.writeFileSync(bad, text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1));
      expect(run(bad)).toMatchObject({ status: 1, result: { ok: false, reason: 'checkpoint_signature_invalid' } });
    });

    it('fails when checked with another key', () => {
      const other = path.join(dataDir, 'other.json');
      const { generateKeyPairSync } = jest.requireActual('node:crypto') as typeof import('node:crypto');
      const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
      fs.writeFileSync(other, JSON.stringify(jwk));
      expect(run(exportFile, other).status).toBe(1);
    });

    it('names the signing key by its RFC 7638 thumbprint', async () => {
      const { okpThumbprint } = await import('@charlotte/crypto');
      const k = sut.signingKey();
      expect(k).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
      expect(k.kid).toBe(okpThumbprint(k.x));
      expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });
});
