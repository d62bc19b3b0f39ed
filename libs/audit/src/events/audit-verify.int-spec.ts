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
import { AuditService, rowToHashed, splitRanges } from './audit.service';
import type { VerifyResult } from './audit.types';
import { chainHash, eventCanonical, GENESIS_HASH, HashedEvent } from './canonical';

/**
 * Verification in parallel ranges (worker threads, binary COPY, bytes of the
 * canonical JSON written from the COPY row) against the single pass it replaced,
 * kept here as the reference: text rows, rowToHashed, eventCanonical, chainHash.
 */
describe('AuditService.verify in parallel ranges', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let sut: AuditService;
  let dataDir: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-audit-verify-'));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_STDOUT: 'false', DATABASE_POOL_SIZE: '10' });
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot(appDataSourceOptions(db.url, 10)),
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

  /** The single pass verification as it was before ranges: the reference verdict. */
  async function onePass(chain: string): Promise<VerifyResult> {
    const cps = await sut.checkpoints(chain);
    const invalid = cps.filter((c) => !sut.checkpointValid(c));
    const valid = cps.filter((c) => !invalid.includes(c));
    const purge = valid.filter((c) => c.kind === 'purge').pop();
    let expectedSeq = purge ? Number(purge.seq) + 1 : 1;
    let prev = purge ? purge.hash : GENESIS_HASH;
    const headCps = new Map(valid.filter((c) => c.kind === 'head').map((c) => [Number(c.seq), c.hash]));
    let checked = 0;
    const lastOf = () => (checked ? { seq: expectedSeq - 1, hash: prev.toString('hex') } : null);
    const broken = (seq: number, reason: string): VerifyResult => ({
      ok: false,
      checked,
      firstBrokenSeq: seq,
      head: lastOf(),
      checkpoints: { checked: cps.length, invalid: invalid.length },
      reason,
    });
    if (invalid.length) return broken(Number(invalid[0].seq), 'checkpoint_signature_invalid');
    for await (const rows of sut.events(chain)) {
      for (const r of rows) {
        const seq = Number(r.seq);
        if (seq !== expectedSeq) return broken(expectedSeq, seq > expectedSeq ? 'gap' : 'sequence');
        if (!r.prev_hash.equals(prev)) return broken(seq, 'link');
        const h = chainHash(prev, eventCanonical(rowToHashed(r)));
        if (!h.equals(r.hash)) return broken(seq, 'hash');
        const cp = headCps.get(seq);
        if (cp && !cp.equals(h)) return broken(seq, 'checkpoint_mismatch');
        prev = h;
        expectedSeq++;
        checked++;
      }
    }
    const lastCp = Math.max(0, ...headCps.keys());
    if (lastCp >= expectedSeq) return broken(expectedSeq, 'truncated_before_checkpoint');
    const head: Array<{ head_seq: string; head_hash: Buffer }> = await ds.query(
      'SELECT head_seq, head_hash FROM audit_chains WHERE chain_key = $1',
      [chain],
    );
    if (head[0] && (Number(head[0].head_seq) !== expectedSeq - 1 || !head[0].head_hash.equals(prev)))
      return broken(expectedSeq, 'head_mismatch');
    return { ok: true, checked, firstBrokenSeq: null, head: lastOf(), checkpoints: { checked: cps.length, invalid: 0 } };
  }

  /** Each way of cutting the chain (4 ranges: seq 1–10, 11–20, 21–30, 31–40 of chainOf40) gives the reference verdict, field for field; returns it. */
  async function sameVerdicts(chain: string, rangeCounts = [1, 4]): Promise<VerifyResult> {
    const expected = await onePass(chain);
    expect(await sut.verify(chain)).toEqual(expected);
    for (const ranges of rangeCounts) expect({ ranges, v: await sut.verify(chain, { ranges }) }).toEqual({ ranges, v: expected });
    return expected;
  }

  const tamper = async (sql: string, params: unknown[] = []) => {
    await ds.transaction(async (em) => {
      await em.query('SET LOCAL session_replication_role = replica');
      await em.query(sql, params);
    });
  };

  /** 40 events through record(): with 4 ranges they are seq 1–10, 11–20, 21–30, 31–40. */
  async function chainOf40(): Promise<string> {
    const t = randomUUID();
    for (let i = 0; i < 40; i++) {
      await sut.record({ category: 'operation', action: 'test.event' as AuditAction, outcome: 'success', tenantId: t, details: { i } });
    }
    return t;
  }

  /** Re-hashes event `seq` from its stored content (an attacker without the signing key), links left as they are. */
  async function rehash(t: string, seq: number): Promise<void> {
    for await (const rows of sut.events(t)) {
      const r = rows.find((x) => Number(x.seq) === seq);
      if (r)
        await tamper('UPDATE audit_events SET hash = $3 WHERE chain_key = $1 AND seq = $2', [
          t,
          seq,
          chainHash(r.prev_hash, eventCanonical(rowToHashed(r))),
        ]);
    }
  }

  it('cuts the seq span into ranges that cover it once, open at both ends', () => {
    expect(splitRanges(1, 40, 4)).toEqual([
      { after: 0, upTo: 10 },
      { after: 10, upTo: 20 },
      { after: 20, upTo: 30 },
      { after: 30, upTo: null },
    ]);
    expect(splitRanges(1, 3, 7)).toEqual([
      { after: 0, upTo: 1 },
      { after: 1, upTo: 2 },
      { after: 2, upTo: null },
    ]);
    expect(splitRanges(0, 0, 4)).toEqual([{ after: 0, upTo: null }]);
    expect(splitRanges(5, 1_000_004, 2)).toEqual([
      { after: 0, upTo: 500_004 },
      { after: 500_004, upTo: null },
    ]);
  });

  it('gives the verdict of one pass for an intact chain, an empty one and one with checkpoints', async () => {
    const t = await chainOf40();
    await sut.checkpointAll();
    expect(await sameVerdicts(t, [1, 2, 3, 4, 7])).toMatchObject({ ok: true, checked: 40, head: { seq: 40 }, checkpoints: { checked: 1 } });
    expect(await sameVerdicts(randomUUID())).toMatchObject({ ok: true, checked: 0, head: null });
  });

  it('hashes the same bytes as the string path for every kind of column value', async () => {
    // Written directly (the hash from eventCanonical), to reach values record() does not produce:
    // quotes, backslashes, control characters, Japanese and emoji, nulls, old and far timestamps.
    const t = randomUUID();
    const odd = ['改ざん"\\\n\t\u0001', 'Mozilla/5.0 "日本語" 😀', '\u007f\u2028', 'a'.repeat(3000), '', 'plain'];
    const times = [
      '1969-12-31T23:59:59.999999Z',
      '1970-01-01T00:00:00.000001Z',
      '2026-11-26T01:02:03.456789Z',
      '2999-12-31T23:59:59.000000Z',
    ];
    let prev: Buffer = GENESIS_HASH;
    const n = 24;
    for (let seq = 1; seq <= n; seq++) {
      const pick = (k: number): string | null => (seq % (k + 2) === 0 ? null : odd[(seq + k) % odd.length]);
      const e: HashedEvent = {
        chain: t,
        seq,
        id: randomUUID(),
        occurredAt: times[seq % times.length],
        category: 'security',
        action: pick(0) ?? 'x',
        outcome: 'failure',
        tenantId: seq % 3 ? t : null,
        actorType: pick(1) ?? 'system',
        actorId: pick(2),
        targetType: pick(3),
        targetId: pick(4),
        requestId: pick(5),
        ip: seq % 2 ? '::1' : null,
        userAgent: pick(6),
        details: { z: seq, a: ['x', { b: true, 日本: '語"\\' }], n: null, '😀': -9007199254740991, '': {} },
      };
      const h = chainHash(prev, eventCanonical(e));
      await ds.query(
        `INSERT INTO audit_events (chain_key, seq, id, occurred_at, category, action, outcome, tenant_id, actor_type, actor_id, target_type, target_id,
                                   request_id, ip, user_agent, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18)`,
        [
          t,
          seq,
          e.id,
          e.occurredAt,
          e.category,
          e.action,
          e.outcome,
          e.tenantId,
          e.actorType,
          e.actorId,
          e.targetType,
          e.targetId,
          e.requestId,
          e.ip,
          e.userAgent,
          JSON.stringify(e.details),
          prev,
          h,
        ],
      );
      prev = h;
    }
    await ds.query('INSERT INTO audit_chains (chain_key, tenant_id, head_seq, head_hash) VALUES ($1, $4::uuid, $2, $3)', [t, n, prev, t]);
    expect(await sameVerdicts(t, [1, 2, 5])).toMatchObject({ ok: true, checked: n });
    await tamper(`UPDATE audit_events SET user_agent = user_agent || ' ' WHERE chain_key = $1 AND seq = 13 AND user_agent IS NOT NULL`, [
      t,
    ]);
    await tamper(`UPDATE audit_events SET user_agent = 'x' WHERE chain_key = $1 AND seq = 13 AND user_agent IS NULL`, [t]);
    expect(await sameVerdicts(t, [1, 2, 5])).toMatchObject({ ok: false, firstBrokenSeq: 13, reason: 'hash', checked: 12 });
  });

  describe('finds the first break wherever the ranges are cut', () => {
    it.each([
      // at a boundary: seq 11 opens the second of 4 ranges, 10 closes the first
      [
        'the first event of a range changed',
        11,
        (t: string) => tamper(`UPDATE audit_events SET outcome = 'failure' WHERE chain_key = $1 AND seq = 11`, [t]),
        'hash',
      ],
      [
        'the first event of a range deleted',
        11,
        (t: string) => tamper('DELETE FROM audit_events WHERE chain_key = $1 AND seq = 11', [t]),
        'gap',
      ],
      [
        'the first event of a range linked elsewhere',
        11,
        (t: string) => tamper(`UPDATE audit_events SET prev_hash = '\\x00' WHERE chain_key = $1 AND seq = 11`, [t]),
        'link',
      ],
      [
        'the last event of a range changed',
        10,
        (t: string) => tamper(`UPDATE audit_events SET details = '{"i": 99}' WHERE chain_key = $1 AND seq = 10`, [t]),
        'hash',
      ],
      // the row before a range rewritten and re-hashed: its range alone is consistent, the next range's first link is not
      [
        'the event before a range rewritten and re-hashed',
        11,
        async (t: string) => {
          await tamper(`UPDATE audit_events SET details = '{"i": 99}' WHERE chain_key = $1 AND seq = 10`, [t]);
          await rehash(t, 10);
        },
        'link',
      ],
      [
        'the last event of the chain removed',
        40,
        (t: string) => tamper('DELETE FROM audit_events WHERE chain_key = $1 AND seq = 40', [t]),
        'head_mismatch',
      ],
      [
        'the first event of the chain removed',
        1,
        (t: string) => tamper('DELETE FROM audit_events WHERE chain_key = $1 AND seq = 1', [t]),
        'gap',
      ],
      // inside a range
      [
        'an event inside a range changed',
        15,
        (t: string) => tamper(`UPDATE audit_events SET action = 'x' WHERE chain_key = $1 AND seq = 15`, [t]),
        'hash',
      ],
      [
        'an event inside a range deleted',
        15,
        (t: string) => tamper('DELETE FROM audit_events WHERE chain_key = $1 AND seq = 15', [t]),
        'gap',
      ],
      [
        'two events inside a range swapped',
        14,
        (t: string) =>
          tamper(
            `UPDATE audit_events SET seq = -14 WHERE chain_key = $1 AND seq = 14;
             UPDATE audit_events SET seq = 14 WHERE chain_key = $1 AND seq = 15;
             UPDATE audit_events SET seq = 15 WHERE chain_key = $1 AND seq = -14`.replace(/\$1/g, `'${t}'`),
          ),
        'link',
      ],
      [
        'two events across a boundary swapped',
        20,
        (t: string) =>
          tamper(
            `UPDATE audit_events SET seq = -20 WHERE chain_key = $1 AND seq = 20;
             UPDATE audit_events SET seq = 20 WHERE chain_key = $1 AND seq = 21;
             UPDATE audit_events SET seq = 21 WHERE chain_key = $1 AND seq = -20`.replace(/\$1/g, `'${t}'`),
          ),
        'link',
      ],
      [
        'a whole range deleted',
        11,
        (t: string) => tamper('DELETE FROM audit_events WHERE chain_key = $1 AND seq BETWEEN 11 AND 20', [t]),
        'gap',
      ],
      [
        'breaks in two ranges (the first counts)',
        12,
        async (t: string) => {
          await tamper(`UPDATE audit_events SET outcome = 'denied' WHERE chain_key = $1 AND seq IN (12, 33)`, [t]);
        },
        'hash',
      ],
    ])('%s', async (_what, brokenAt, attack, reason) => {
      const t = await chainOf40();
      await sameVerdicts(t);
      await attack(t);
      expect(await sameVerdicts(t)).toMatchObject({ ok: false, firstBrokenSeq: brokenAt, reason });
    });

    it('a rewritten tail against a signed checkpoint inside a later range', async () => {
      const t = await chainOf40();
      await sut.checkpointAll(); // signs seq 40
      await tamper(`UPDATE audit_events SET details = '{"i": 42}' WHERE chain_key = $1 AND seq = 9`, [t]);
      let prev: Buffer = (await ds.query('SELECT hash FROM audit_events WHERE chain_key = $1 AND seq = 8', [t]))[0].hash;
      for await (const rows of sut.events(t)) {
        for (const r of rows.filter((x) => Number(x.seq) >= 9)) {
          const h = chainHash(prev, eventCanonical(rowToHashed(r)));
          await tamper('UPDATE audit_events SET prev_hash = $3, hash = $4 WHERE chain_key = $1 AND seq = $2', [t, r.seq, prev, h]);
          prev = h;
        }
      }
      await tamper('UPDATE audit_chains SET head_hash = $2 WHERE chain_key = $1', [t, prev]);
      expect(await sameVerdicts(t)).toMatchObject({ ok: false, firstBrokenSeq: 40, reason: 'checkpoint_mismatch', checked: 39 });
    });

    it('events left before a purge checkpoint', async () => {
      const t = await chainOf40();
      // a purge checkpoint of seq 10 whose events were not deleted: the first row read is out of sequence
      const h10: Buffer = (await ds.query('SELECT hash FROM audit_events WHERE chain_key = $1 AND seq = 10', [t]))[0].hash;
      await (
        sut as unknown as { writeCheckpoint(r: DataSource, c: string, k: string, s: number, h: Buffer): Promise<void> }
      ).writeCheckpoint(ds, t, 'purge', 10, h10);
      expect(await sameVerdicts(t)).toMatchObject({ ok: false, firstBrokenSeq: 11, reason: 'sequence' });
      await tamper('DELETE FROM audit_events WHERE chain_key = $1 AND seq <= 10', [t]);
      expect(await sameVerdicts(t)).toMatchObject({ ok: true, checked: 30, head: { seq: 40 } });
    });
  });
});
