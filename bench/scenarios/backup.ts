/**
 * Backup benchmark (issue 15): one tenant with BENCH_BACKUP_APPS applications
 * (default 100,000) and BENCH_BACKUP_MB MiB of attachments (default 1024, in
 * 1 MiB files), seeded directly (COPY for the rows, blob files written
 * straight into the blob store: no HTTP), then in the same run:
 *
 *   reference   pg_dump --data-only of the archived tables (a --table list; the
 *               bench database holds one more tenant, which only makes the
 *               reference slower) + tar of the same blob files, into files
 *   backup      GenerationsService.run (snapshot → tar → gzip → seal → store),
 *               ratio = backup seconds / reference seconds (goal ≤ 1.5)
 *   peak RSS    sampled every 5 ms during the backup (goal ≤ 256 MiB whatever the size)
 *   restore     RestoreService.run of the same generation (verify, then replace)
 *
 * Rows: "backup generation (MiB/s)", "backup peak RSS", "restore of the same
 * generation (MiB/s)"; seconds, the reference, the ratio and the goals are in
 * the rows' details (BENCH_RESULT) and on stderr. pg_dump must match the
 * server's major version: with the embedded PostgreSQL 17 and a pg_dump 15 on
 * PATH, the reference is reported as skipped with the reason (run with
 * DATABASE_URL=postgres://postgres@127.0.0.1:5432/test to compare).
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { TenantsService } from '@charlotte/auth';
import { archivedTables, discoverTenantTables, GenerationsService, RestoreService } from '@charlotte/backup';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { BLOB_STORE, BlobStore } from '@charlotte/storage';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const RATIO_GOAL = 1.5;
const RSS_GOAL_MIB = 256;
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

function intFromEnv(name: string, def: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

const hex = (n: number) => `\\\\x${randomBytes(n).toString('hex')}`;

async function copyIn(client: PoolClient, sql: string, lines: Iterable<string>): Promise<void> {
  const batch = function* () {
    let buf: string[] = [];
    for (const l of lines) {
      buf.push(l);
      if (buf.length >= 1000) {
        yield Buffer.from(buf.join(''), 'utf8');
        buf = [];
      }
    }
    if (buf.length) yield Buffer.from(buf.join(''), 'utf8');
  };
  await pipeline(Readable.from(batch()), client.query(copyFrom(sql)));
}

/** pg_dump of the same major version as the server, or the reason there is none. */
async function findPgDump(ds: DataSource): Promise<{ bin?: string; reason?: string }> {
  const server = Number((await ds.query(`SHOW server_version_num`))[0].server_version_num) / 10000;
  const major = Math.floor(server);
  const candidates = ['pg_dump', `/usr/lib/postgresql/${major}/bin/pg_dump`];
  for (const dir of fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql') : [])
    candidates.push(`/usr/lib/postgresql/${dir}/bin/pg_dump`);
  for (const bin of candidates) {
    try {
      const v = await run(bin, ['--version']);
      const m = /(\d+)\.\d+/.exec(v.stdout);
      if (m && Number(m[1]) >= major) return { bin };
    } catch {
      // not there: try the next one
    }
  }
  return { reason: `no pg_dump of major version ≥ ${major} (the server's) on PATH or in /usr/lib/postgresql/*/bin` };
}

async function seed(ctx: BenchContext, apps: number, mb: number): Promise<{ tenantId: string; blobBytes: number }> {
  const ds = ctx.app.get(DataSource);
  const blobs = ctx.app.get<BlobStore>(BLOB_STORE);
  const tenant = await ctx.app.get(TenantsService).create(`bench-bk-${randomBytes(3).toString('hex')}`, 'バックアップ計測');
  const tenantId = tenant.id;
  const officeId = randomUUID();
  await ds.query(`INSERT INTO offices (id, tenant_id, data_sealed) VALUES ($1, $2, $3)`, [officeId, tenantId, randomBytes(400)]);
  const runner = ds.createQueryRunner();
  await runner.connect();
  const client = (runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
  const appIds: string[] = [];
  try {
    const t0 = Date.now();
    await copyIn(
      client,
      `COPY applications (id, tenant_id, office_id, procedure_code, procedure_version, status, title_sealed, form_sealed) FROM STDIN`,
      (function* () {
        for (let i = 0; i < apps; i++) {
          const id = randomUUID();
          if (i < mb) appIds.push(id);
          yield `${id}\t${tenantId}\t${officeId}\tshaho-shutoku\t1\tdraft\t${hex(80)}\t${hex(600)}\n`;
        }
      })(),
    );
    log(`backup: seeded ${apps} applications in ${Date.now() - t0} ms`);
    const t1 = Date.now();
    const block = randomBytes(MiB);
    const rows: string[] = [];
    for (let i = 0; i < mb; i++) {
      const id = randomUUID();
      const key = `tenants/${tenantId}/attachments/${id}`;
      block.writeUInt32BE(i, 0); // each file differs; the rest is random (as sealed bytes are)
      await blobs.put(key, Readable.from([block]));
      rows.push(`${id}\t${tenantId}\t${appIds[i % appIds.length]}\t${hex(60)}\tapplication/pdf\t${MiB}\t${hex(32)}\t${key}\tclean\n`);
    }
    await copyIn(
      client,
      `COPY attachments (id, tenant_id, application_id, name_sealed, content_type, size, sha256, blob_key, scan) FROM STDIN`,
      rows,
    );
    log(`backup: wrote ${mb} MiB of attachments in ${Date.now() - t1} ms`);
  } finally {
    await runner.release();
  }
  await ds.query(`ANALYZE applications; ANALYZE attachments`);
  return { tenantId, blobBytes: mb * MiB };
}

async function measure(ctx: BenchContext): Promise<ScenarioResult[]> {
  const apps = intFromEnv('BENCH_BACKUP_APPS', 100_000);
  const mb = intFromEnv('BENCH_BACKUP_MB', 1024);
  const ds = ctx.app.get(DataSource);
  const config = ctx.app.get<AppConfig>(APP_CONFIG);
  const { tenantId } = await seed(ctx, apps, mb);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-bench-backup-'));
  try {
    // Reference: pg_dump --data-only of the archived tables + tar of the same blob files.
    const tables = archivedTables(await discoverTenantTables(ds)).map((t) => t.name);
    const dump = await findPgDump(ds);
    let pgDumpSec: number | undefined;
    let tarSec: number | undefined;
    let skipped: string | undefined = dump.reason;
    const url = (ds.options as { url?: string }).url;
    if (dump.bin && url) {
      const t0 = process.hrtime.bigint();
      try {
        await run(
          dump.bin,
          ['--data-only', '--no-owner', '-f', path.join(tmp, 'ref.sql'), ...tables.map((t) => `--table=public.${t}`), url],
          {
            maxBuffer: 64 * MiB,
          },
        );
        pgDumpSec = Number(process.hrtime.bigint() - t0) / 1e9;
      } catch (e) {
        skipped = `pg_dump failed: ${(e as { stderr?: string }).stderr?.trim().split('\n')[0] ?? String(e)}`;
      }
    } else if (!url) skipped = 'no database URL for pg_dump';
    {
      const t0 = process.hrtime.bigint();
      await run('tar', ['-cf', path.join(tmp, 'ref.tar'), '-C', config.blobDir, `tenants/${tenantId}`]);
      tarSec = Number(process.hrtime.bigint() - t0) / 1e9;
    }
    fs.rmSync(path.join(tmp, 'ref.sql'), { force: true });
    fs.rmSync(path.join(tmp, 'ref.tar'), { force: true });

    // Ours, with RSS sampled.
    (globalThis as { gc?: () => void }).gc?.();
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const timer = setInterval(() => {
      const r = process.memoryUsage.rss();
      if (r > peak) peak = r;
    }, 5);
    const t0 = process.hrtime.bigint();
    let gen;
    try {
      gen = await ctx.app.get(GenerationsService).run(tenantId);
    } finally {
      clearInterval(timer);
    }
    const backupSec = Number(process.hrtime.bigint() - t0) / 1e9;
    const archiveMiB = (gen.size ?? 0) / MiB;
    const referenceSec = pgDumpSec !== undefined && tarSec !== undefined ? pgDumpSec + tarSec : undefined;
    const ratio = referenceSec ? backupSec / referenceSec : undefined;
    log(
      `backup of ${apps} applications + ${mb} MiB: ${round(backupSec)} s (archive ${round(archiveMiB, 1)} MiB); ` +
        (referenceSec
          ? `pg_dump ${round(pgDumpSec!)} s + tar ${round(tarSec!)} s = ${round(referenceSec)} s; ratio ${round(ratio!)} (goal ≤ ${RATIO_GOAL}: ${ratio! <= RATIO_GOAL ? 'met' : 'NOT met'})`
          : `reference skipped: ${skipped}`),
    );
    const peakMiB = peak / MiB;
    const growthMiB = (peak - baseline) / MiB;
    // The bench process also hosts the app and its seeded tenant: its baseline alone is ~200 MiB, so both figures are shown.
    log(
      `backup peak RSS ${round(peakMiB, 1)} MiB, growth ${round(growthMiB, 1)} MiB over a baseline of ${round(baseline / MiB, 1)} MiB ` +
        `(goal ≤ ${RSS_GOAL_MIB} MiB: peak ${peakMiB <= RSS_GOAL_MIB ? 'met' : 'NOT met'}, growth ${growthMiB <= RSS_GOAL_MIB ? 'met' : 'NOT met'})`,
    );

    const r0 = process.hrtime.bigint();
    const restored = await ctx.app.get(RestoreService).run(tenantId, gen.id);
    const restoreSec = Number(process.hrtime.bigint() - r0) / 1e9;
    if (restored.state !== 'complete') throw new Error(`restore ended ${restored.state}: ${restored.error}`);
    const count: Array<{ n: number }> = await ds.query(`SELECT count(*)::int AS n FROM applications WHERE tenant_id = $1`, [tenantId]);
    if (count[0].n !== apps) throw new Error(`restore gave ${count[0].n} applications back, expected ${apps}`);
    log(`restore of the same generation: ${round(restoreSec)} s (verify + replace)`);

    const base = { p50Ms: 0, p99Ms: 0, non2xx: 0, errors: 0, total: 1 };
    return [
      {
        name: 'backup generation (MiB/s)',
        opsPerSec: archiveMiB / backupSec,
        ...base,
        p50Ms: backupSec * 1000,
        p99Ms: backupSec * 1000,
        details: {
          unit: 'MiB/s of sealed archive; p50/p99 = the backup time',
          applications: apps,
          attachmentsMiB: mb,
          seconds: round(backupSec),
          archiveMiB: round(archiveMiB, 1),
          reference: referenceSec
            ? { pgDumpSeconds: round(pgDumpSec!), tarSeconds: round(tarSec!), seconds: round(referenceSec) }
            : { skipped },
          ratio: ratio === undefined ? null : round(ratio, 3),
          goal: `ratio ≤ ${RATIO_GOAL}`,
          withinGoal: ratio === undefined ? null : ratio <= RATIO_GOAL,
        },
      },
      {
        name: 'backup peak RSS',
        opsPerSec: archiveMiB / backupSec,
        ...base,
        details: {
          unit: 'MiB/s during the measured backup',
          rssBaselineMiB: round(baseline / MiB, 1),
          rssPeakMiB: round(peakMiB, 1),
          rssGrowthMiB: round(growthMiB, 1),
          goal: `peak RSS ≤ ${RSS_GOAL_MIB} MiB`,
          withinGoal: peakMiB <= RSS_GOAL_MIB,
          growthWithinGoal: growthMiB <= RSS_GOAL_MIB,
        },
      },
      {
        name: 'restore of the same generation (MiB/s)',
        opsPerSec: archiveMiB / restoreSec,
        ...base,
        p50Ms: restoreSec * 1000,
        p99Ms: restoreSec * 1000,
        details: { unit: 'MiB/s of sealed archive verified and restored; p50/p99 = the restore time', seconds: round(restoreSec) },
      },
    ];
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export const backupScenario: Scenario = {
  name: 'backup generation, peak RSS and restore',
  description:
    'a tenant with BENCH_BACKUP_APPS applications and BENCH_BACKUP_MB MiB of attachments: backup vs pg_dump+tar, peak RSS, restore',
  run: measure,
};
