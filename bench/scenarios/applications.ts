/**
 * The application list and detail at scale (issues 7 and 20).
 *
 *   seed      T tenants × N applications (full: 10 × 100,000 = 1,000,000; BENCH_QUICK: 2 × 20,000;
 *             BENCH_LIST_TENANTS / BENCH_LIST_APPS override), written with COPY, not through the API.
 *             Titles and forms are sealed with each tenant's real data key (sealValue with the
 *             key TenantKeysService hands SealingService; AAD = tenant, purpose, application id), so
 *             every row opens as if the app had written it. The measured tenant is a 社労士 office
 *             (kind sharoushi) with 10 顧問先, one office each; its applications carry a timeline
 *             (3–5 events each) and the detail targets 2 attachments (metadata rows; the list and the
 *             detail never read the blobs).
 *   measure   autocannon, BENCH_CONNECTIONS (32) clients on the measured tenant's admin session:
 *             the default page, status / due / client filters, a cursor 90 % deep in the list,
 *             and one application's detail (form, timeline, attachments).
 * Goals: list p99 < 50 ms (throughput reported), detail p99 < 30 ms. Reference, measured in the
 * same run just before with the same clients: the bare /health/live (no session, no SQL); the ratio
 * says how much of a p99 is the machine rather than the route. Before the load, one request of each
 * path is traced: SQL statements per request and EXPLAIN (ANALYZE, BUFFERS) of its main query
 * (in the rows' details; BENCH_EXPLAIN=1 prints the plans and statements on stderr).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, type PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { ClientsService, OfficesService } from '@charlotte/applications';
import { KeyfilesService, TenantsService, UsersService } from '@charlotte/auth';
import { encodeCursor, type Principal } from '@charlotte/core';
import { sealValue, TenantKeysService } from '@charlotte/crypto';
import { ProceduresService } from '@charlotte/procedures';
import { httpLoad } from '../lib/http-load';
import { login } from '../lib/seed';
import { type BenchContext, type Goal, type Scenario, type ScenarioResult, sized } from '../lib/types';

const PROCEDURE = 'shaho-shutoku';
/** Sealing purposes of libs/applications (sealing-purposes.ts; AAD: tenant, purpose, record id). */
const PURPOSE = { title: 'application.title', form: 'application.form', attachmentName: 'attachment.name' } as const;
const CLIENTS = 10;
const DETAIL_TARGETS = 1000;
const LIST_GOAL: Goal = { metric: 'p99Ms', op: '<', value: 50, text: 'p99 < 50 ms' };
const DETAIL_GOAL: Goal = { metric: 'p99Ms', op: '<', value: 30, text: 'p99 < 30 ms' };

/** Status mix of a tenant that has been filing for years: most completed, a working set open. */
const STATUS_MIX: Array<[string, number]> = [
  ['completed', 70],
  ['draft', 8],
  ['ready', 3],
  ['arrived', 4],
  ['under_review', 6],
  ['correction_requested', 1],
  ['review_finished', 3],
  ['withdrawn', 2],
  ['failed', 3],
];
const STATUS_OF: string[] = STATUS_MIX.flatMap(([s, n]) => Array<string>(n).fill(s));
const FORM = {
  familyName: '山田',
  givenName: '太郎',
  familyNameKana: 'ヤマダ',
  givenNameKana: 'タロウ',
  birthDate: '1990-04-01',
  insuredType: '1',
  acquisitionType: '1',
  basicPensionNumber: '1234-567890',
  acquisitionDate: '2026-04-01',
  hasDependents: '0',
  remunerationCash: 250000,
  remunerationTotal: 250000,
  postalCode: '100-0013',
  address: '東京都千代田区霞が関1-2-2',
};

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const hex = (b: Buffer) => `\\\\x${b.toString('hex')}`;
const DAY = 86_400_000;

function intFromEnv(name: string, def: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

async function copyIn(client: PoolClient, sql: string, lines: Iterable<string>): Promise<void> {
  const batches = function* () {
    let buf: string[] = [];
    for (const l of lines) {
      buf.push(l);
      if (buf.length >= 2000) {
        yield Buffer.from(buf.join(''), 'utf8');
        buf = [];
      }
    }
    if (buf.length) yield Buffer.from(buf.join(''), 'utf8');
  };
  await pipeline(Readable.from(batches()), client.query(copyFrom(sql)));
}

interface Seeded {
  tenantId: string;
  cookie: string;
  clientIds: string[];
  detailId: string;
  /** (created_at, id) of the row 90 % deep in the measured tenant's list, as the API's cursor. */
  deepCursor: string;
  deepRow: number;
  tenants: number;
  perTenant: number;
  seconds: number;
}

/** A tenant with an admin (through the services, as the CLI does) and a principal for service calls. */
async function tenantWithAdmin(ctx: BenchContext, code: string, kind: 'company' | 'sharoushi') {
  const tenant = await ctx.app.get(TenantsService).create(code, kind === 'sharoushi' ? 'ベンチ社労士事務所' : 'ベンチ株式会社', kind);
  const password = randomBytes(18).toString('base64url');
  const email = `admin@${code}.example`;
  const { user } = await ctx.app.get(UsersService).create(tenant.id, { email, displayName: '管理者', role: 'admin', password });
  const principal: Principal = {
    kind: 'session',
    userId: user.id,
    tenantId: tenant.id,
    role: 'admin',
    sessionId: 'bench',
    csrfToken: 'bench',
  };
  return { tenantId: tenant.id, code, email, password, userId: user.id, principal };
}

async function seed(ctx: BenchContext, tenants: number, perTenant: number): Promise<Seeded> {
  const t0 = Date.now();
  const ds = ctx.app.get(DataSource);
  const keys = ctx.app.get(TenantKeysService);
  const procedures = ctx.app.get(ProceduresService);
  const def = procedures.get(PROCEDURE);
  const formJson = Buffer.from(JSON.stringify(procedures.normalize(def, FORM)), 'utf8');
  const suffix = randomBytes(3).toString('hex');

  const main = await tenantWithAdmin(ctx, `bench-list-${suffix}`, 'sharoushi');
  const clientIds: string[] = [];
  const officesOf = new Map<string, string[]>();
  const mainOffices: string[] = [];
  for (let k = 1; k <= CLIENTS; k++) {
    const c = await ctx.app.get(ClientsService).create(main.tenantId, main.principal, { name: `顧問先 ${k} 株式会社`, code: `C${k}` });
    clientIds.push(c.id);
    const o = await ctx.app.get(OfficesService).create(main.tenantId, main.principal, {
      name: `顧問先 ${k} 本社`,
      pensionOfficeCode: '01-イロハ',
      pensionOfficeNumber: String(10000 + k),
      clientId: c.id,
    });
    mainOffices.push(o.id);
  }
  officesOf.set(main.tenantId, mainOffices);
  const others: string[] = [];
  for (let t = 2; t <= tenants; t++) {
    const o = await tenantWithAdmin(ctx, `bench-list-${suffix}-${t}`, 'company');
    const office = await ctx.app.get(OfficesService).create(o.tenantId, o.principal, {
      name: 'ベンチ本社',
      pensionOfficeCode: '01-イロハ',
      pensionOfficeNumber: '12345',
    });
    officesOf.set(o.tenantId, [office.id]);
    others.push(o.tenantId);
  }

  // Applications, COPY per tenant: created one after another over three years, newest last.
  const now = Date.now();
  const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
  const span = 3 * 365 * DAY;
  const mainIds: string[] = [];
  const runner = ds.createQueryRunner();
  await runner.connect();
  const client = (runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
  try {
    for (const tenantId of [main.tenantId, ...others]) {
      const ts = Date.now();
      const { version, dek } = await keys.current(tenantId);
      const offices = officesOf.get(tenantId)!;
      await copyIn(
        client,
        `COPY applications (id, tenant_id, office_id, procedure_code, procedure_version, status, title_sealed, form_sealed,
                            version, created_by, updated_by, created_at, updated_at, due_date) FROM STDIN`,
        (function* () {
          for (let i = 0; i < perTenant; i++) {
            const id = randomUUID();
            if (tenantId === main.tenantId) mainIds.push(id);
            const status = STATUS_OF[(i * 37) % STATUS_OF.length];
            const title = sealValue(
              dek,
              version,
              { tenantId, purpose: PURPOSE.title, recordId: id },
              Buffer.from(`資格取得届 山田太郎 ${i + 1}`),
            );
            const form = sealValue(dek, version, { tenantId, purpose: PURPOSE.form, recordId: id }, formJson);
            const created = new Date(now - span + Math.floor((span * i) / perTenant)).toISOString();
            // 提出期限 on the unfiled ones: spread from 30 days ago to 30 days ahead.
            const due = ['draft', 'ready', 'failed'].includes(status)
              ? new Date(today + (((i * 7919) % 61) - 30) * DAY).toISOString().slice(0, 10)
              : '\\N';
            yield `${id}\t${tenantId}\t${offices[i % offices.length]}\t${def.code}\t${def.version}\t${status}\t${hex(title)}\t${hex(form)}\t3\tsystem\tsystem\t${created}\t${created}\t${due}\n`;
          }
        })(),
      );
      log(`applications list: ${perTenant.toLocaleString('en')} applications for tenant ${tenantId} in ${Date.now() - ts} ms`);
    }

    // The measured tenant's timelines (3 events each, 5 for those under review) and the detail targets' attachments.
    const te = Date.now();
    await ds.query(
      `INSERT INTO application_events (tenant_id, application_id, at, kind, from_status, to_status, actor, details)
       SELECT a.tenant_id, a.id, a.created_at + e.off, e.kind, e.f, e.t, 'system', '{}'::jsonb
         FROM applications a
         CROSS JOIN (VALUES ('created', NULL, 'draft', interval '0', 0),
                            ('status', 'draft', 'ready', interval '1 minute', 1),
                            ('status', 'ready', 'submitting', interval '2 minutes', 1),
                            ('status', 'submitting', 'arrived', interval '3 minutes', 2),
                            ('status', 'arrived', 'under_review', interval '59 minutes', 2)) AS e(kind, f, t, off, lvl)
        WHERE a.tenant_id = $1 AND (e.lvl = 0 OR (e.lvl = 1 AND a.status <> 'draft') OR (e.lvl = 2 AND a.status = 'under_review'))`,
      [main.tenantId],
    );
    const targets: Array<{ id: string }> = await ds.query(
      `SELECT id FROM applications WHERE tenant_id = $1 AND status = 'under_review' ORDER BY created_at DESC, id DESC LIMIT $2`,
      [main.tenantId, DETAIL_TARGETS],
    );
    const { version, dek } = await keys.current(main.tenantId);
    await copyIn(
      client,
      `COPY attachments (id, tenant_id, application_id, name_sealed, content_type, size, sha256, blob_key, scan) FROM STDIN`,
      (function* () {
        for (const t of targets)
          for (const name of ['雇用契約書.pdf', '住民票.pdf']) {
            const id = randomUUID();
            const sealed = sealValue(
              dek,
              version,
              { tenantId: main.tenantId, purpose: PURPOSE.attachmentName, recordId: id },
              Buffer.from(name),
            );
            yield `${id}\t${main.tenantId}\t${t.id}\t${hex(sealed)}\tapplication/pdf\t${1 << 20}\t${hex(randomBytes(32))}\ttenants/${main.tenantId}/attachments/${id}\tclean\n`;
          }
      })(),
    );
    log(`applications list: timelines and ${targets.length * 2} attachments in ${Date.now() - te} ms`);
  } finally {
    await runner.release();
  }
  // As in a system that has been running: statistics fresh, visibility map set.
  const tv = Date.now();
  await ds.query('VACUUM (ANALYZE) applications, application_events, attachments, offices, clients');
  log(`applications list: VACUUM ANALYZE in ${Date.now() - tv} ms`);

  const deepRow = Math.floor(perTenant * 0.9);
  const deep: Array<{ c: string; id: string }> = await ds.query(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS c, id
       FROM applications WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1`,
    [main.tenantId, deepRow - 1],
  );
  const session = await login(ctx.baseUrl, main.code, main.email, main.password, await issueKey(ctx, main.tenantId, main.userId));
  return {
    tenantId: main.tenantId,
    cookie: session.cookie,
    clientIds,
    detailId: (
      await ds.query(
        `SELECT id FROM applications WHERE tenant_id = $1 AND status = 'under_review' ORDER BY created_at DESC, id DESC LIMIT 1`,
        [main.tenantId],
      )
    )[0].id,
    deepCursor: encodeCursor({ c: deep[0].c, i: deep[0].id }),
    deepRow,
    tenants,
    perTenant,
    seconds: (Date.now() - t0) / 1000,
  };
}

async function issueKey(ctx: BenchContext, tenantId: string, userId: string) {
  const file = await ctx.app.get(KeyfilesService).issue(tenantId, userId, 'bench', undefined, null);
  return { keyId: file.keyId, privateKeyJwk: file.privateKeyJwk as import('node:crypto').JsonWebKey };
}

/** The statements (text and parameters) this process sends to PostgreSQL while `fn` runs. */
async function captureSql(fn: () => Promise<void>): Promise<Array<{ text: string; values: unknown[] }>> {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const seen: Array<{ text: string; values: unknown[] }> = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    if (typeof first === 'string') seen.push({ text: first, values: Array.isArray(second) ? second : [] });
    else if (first && typeof first === 'object' && 'text' in first)
      seen.push({ text: String((first as { text: unknown }).text), values: ((first as { values?: unknown[] }).values ?? []) as unknown[] });
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return seen;
}

/**
 * One request as the app serves it: how many statements it sends, and EXPLAIN (ANALYZE, BUFFERS)
 * of its main statement (the first that matches `main`), as PostgreSQL runs it with the same parameters.
 */
async function explainRequest(ctx: BenchContext, path: string, cookie: string, main: RegExp) {
  const statements = await captureSql(async () => {
    const res = await fetch(`${ctx.baseUrl}${path}`, { headers: { cookie, accept: 'application/json' } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  });
  const byText = new Map<string, number>();
  for (const st of statements) {
    const k = st.text.replace(/\s+/g, ' ').slice(0, 140);
    byText.set(k, (byText.get(k) ?? 0) + 1);
  }
  const top = [...byText.entries()].sort((a, b) => b[1] - a[1]).map(([sql, n]) => `${n}× ${sql}`);
  if (/^(1|true|yes)$/i.test(process.env.BENCH_EXPLAIN?.trim() ?? '')) log(`${path}: statements per request:\n  ${top.join('\n  ')}`);
  const target = statements.find((st) => main.test(st.text));
  if (!target) return { statements: statements.length, plan: [] as string[], executionMs: undefined };
  const rows: Array<{ 'QUERY PLAN': string }> = await ctx.app
    .get(DataSource)
    .query(`EXPLAIN (ANALYZE, BUFFERS) ${target.text}`, target.values);
  const plan = rows.map((r) => r['QUERY PLAN']);
  const m = /Execution Time: ([\d.]+) ms/.exec(plan.join('\n'));
  return { statements: statements.length, plan, executionMs: m ? Number(m[1]) : undefined };
}

const pageCheck =
  (min: number) =>
  (_s: number, body: unknown): string | undefined => {
    const page = body as { items?: Array<{ title?: string }>; nextCursor?: string | null };
    if (!Array.isArray(page.items) || page.items.length < min)
      return `expected at least ${min} items, got ${JSON.stringify(body).slice(0, 200)}`;
    if (!page.items.every((i) => typeof i.title === 'string' && i.title.startsWith('資格取得届')))
      return `titles did not open: ${JSON.stringify(page.items[0]).slice(0, 200)}`;
    return undefined;
  };

export const applicationsList: Scenario = {
  name: 'applications list and detail',
  description: 'GET /api/v1/applications (filters, deep cursor) and GET /api/v1/applications/:id on a tenant of a million-row table',
  async run(ctx: BenchContext): Promise<ScenarioResult[]> {
    const tenants = intFromEnv('BENCH_LIST_TENANTS', sized(ctx, 10, 2));
    const perTenant = intFromEnv('BENCH_LIST_APPS', sized(ctx, 100_000, 20_000));
    log(`applications list: seeding ${tenants} tenants × ${perTenant.toLocaleString('en')} applications`);
    const s = await seed(ctx, tenants, perTenant);
    log(`applications list: seeded ${(tenants * perTenant).toLocaleString('en')} applications in ${s.seconds.toFixed(1)} s`);
    const size = `${perTenant.toLocaleString('en')} of ${(tenants * perTenant).toLocaleString('en')}`;
    const headers = { cookie: s.cookie };
    const rows: Array<{ label: string; path: string; min: number }> = [
      { label: 'default page', path: '/api/v1/applications', min: 50 },
      { label: 'status=under_review', path: '/api/v1/applications?status=under_review', min: 50 },
      { label: 'due=week', path: '/api/v1/applications?due=week', min: 50 },
      { label: 'clientId (1 of 10 顧問先)', path: `/api/v1/applications?clientId=${s.clientIds[3]}`, min: 50 },
      {
        label: `cursor at row ${s.deepRow.toLocaleString('en')}`,
        path: `/api/v1/applications?cursor=${encodeURIComponent(s.deepCursor)}`,
        min: 50,
      },
    ];
    const results: ScenarioResult[] = [];
    const showPlans = /^(1|true|yes)$/i.test(process.env.BENCH_EXPLAIN?.trim() ?? '');
    // Statements and plans first, while nothing else runs (under load, queued requests would mix in).
    const PAGE_QUERY = /FROM applications WHERE .* ORDER BY created_at DESC/s;
    const explained = new Map<string, Awaited<ReturnType<typeof explainRequest>>>();
    const rare = {
      label: 'status=correction_requested (1 % of rows; plan only)',
      path: '/api/v1/applications?status=correction_requested',
    };
    for (const r of [...rows, rare]) {
      const x = await explainRequest(ctx, r.path, s.cookie, PAGE_QUERY);
      explained.set(r.path, x);
      log(
        `applications list: ${r.label}: ${x.statements} SQL statements per request; the page query runs in ${x.executionMs ?? '?'} ms` +
          (showPlans ? `\nEXPLAIN (ANALYZE, BUFFERS) at ${size}:\n${x.plan.join('\n')}` : ''),
      );
    }
    // Not rows (no goal in the issue): what the tenant's home costs at this size, for docs/scale.md.
    for (const [label, re] of [
      ['status counts', /GROUP BY status/],
      ['latest 手続終了', /completed_at DESC/],
    ] as const) {
      const x = await explainRequest(ctx, '/api/v1/dashboard', s.cookie, re);
      log(
        `GET /api/v1/dashboard: ${x.statements} SQL statements per request; its ${label} query runs in ${x.executionMs ?? '?'} ms` +
          (showPlans ? `\nEXPLAIN (ANALYZE, BUFFERS) at ${size}:\n${x.plan.join('\n')}` : ''),
      );
    }
    const detailName = 'application detail (form, timeline, 2 attachments)';
    const detailPath = `/api/v1/applications/${s.detailId}`;
    const dx = await explainRequest(ctx, detailPath, s.cookie, /FROM applications WHERE tenant_id = \$1 AND id = \$2/);
    log(`${detailName}: ${dx.statements} SQL statements per request; the row query runs in ${dx.executionMs ?? '?'} ms`);

    // The reference: the bare /health/live (no session, no SQL) with the same clients, measured just before.
    const live = await httpLoad(ctx, { name: 'GET /health/live (reference)', path: '/health/live' });
    const reference = { label: 'bare /health/live', value: live.p99Ms, unit: 'ms p99' };
    const withReference = (m: ScenarioResult, goal: Goal) => ({
      ...m,
      goal,
      reference,
      ...(live.p99Ms > 0 ? { ratio: m.p99Ms / live.p99Ms } : {}),
    });
    for (const r of rows) {
      const name = `applications list: ${r.label}`;
      const x = explained.get(r.path)!;
      const m = await httpLoad(ctx, { name, path: r.path, headers, check: pageCheck(r.min) });
      results.push({
        ...withReference(m, LIST_GOAL),
        details: {
          ...m.details,
          applicationsInTenant: perTenant,
          applicationsInTable: tenants * perTenant,
          referenceOpsPerSec: live.opsPerSec,
          sqlPerRequest: x.statements,
          pageQueryMs: x.executionMs,
          plan: x.plan,
        },
      });
    }
    const d = await httpLoad(ctx, {
      name: detailName,
      path: detailPath,
      headers,
      check: (_s, body) => {
        const a = body as { timeline?: unknown[]; attachments?: Array<{ fileName?: string }>; form?: { familyName?: string } };
        if (a.timeline?.length !== 5) return `expected 5 timeline entries, got ${JSON.stringify(a.timeline).slice(0, 200)}`;
        const names = (a.attachments ?? []).map((f) => f.fileName).sort();
        if (names.join('/') !== '住民票.pdf/雇用契約書.pdf')
          return `expected 2 attachments, got ${JSON.stringify(a.attachments).slice(0, 200)}`;
        if (a.form?.familyName !== FORM.familyName) return 'the form did not open';
        return undefined;
      },
    });
    results.push({
      ...withReference(d, DETAIL_GOAL),
      details: {
        ...d.details,
        applicationsInTenant: perTenant,
        applicationsInTable: tenants * perTenant,
        referenceOpsPerSec: live.opsPerSec,
        sqlPerRequest: dx.statements,
        rowQueryMs: dx.executionMs,
      },
    });
    return results;
  },
};
