import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { CreateUserDto, KeyfilesService, PasswordService, PLATFORM_TENANT_CODE, TenantsService, UsersService } from '@charlotte/auth';
import { DomainError, fieldErrorsOf, runMigrations, ValidationFailedError } from '@charlotte/core';
import { KeyRotationService, TenantKeysService } from '@charlotte/crypto';
import { requireFlag, UsageError } from './args';

type Flags = Record<string, string | true>;
export interface CommandResult {
  lines: string[];
  json: Record<string, unknown>;
  /** false: the command ran but found a problem (exit code 1). */
  ok?: boolean;
}

async function validUser(input: { email: string; displayName: string; role: string; password?: string }): Promise<void> {
  // Same DTO rules as the REST API, so the CLI cannot create what the API would refuse.
  const dto = plainToInstance(CreateUserDto, input);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) {
    throw new ValidationFailedError(fieldErrorsOf(errors));
  }
}

export async function tenantCreate(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const code = requireFlag(flags, 'code');
  const name = requireFlag(flags, 'name');
  const email = requireFlag(flags, 'admin-email');
  const password = requireFlag(flags, 'admin-password');
  const displayName = typeof flags['admin-name'] === 'string' ? flags['admin-name'] : 'Administrator';
  const kind = flags.kind === undefined ? 'company' : flags.kind;
  // api.md: a sharoushi tenant holds 顧問先 (clients); the kind is fixed at creation.
  if (kind !== 'company' && kind !== 'sharoushi') throw new UsageError('--kind must be company or sharoushi');
  await validUser({ email, displayName, role: 'admin', password });
  const tenants = ctx.get(TenantsService);
  const tenant = await tenants.create(code, name, kind);
  try {
    const { user } = await ctx.get(UsersService).create(tenant.id, { email, displayName, role: 'admin', password });
    return {
      lines: [`tenant ${tenant.code} (${tenant.kind}) created (${tenant.id})`, `admin ${user.email} created (${user.id})`],
      json: {
        tenant: { id: tenant.id, code: tenant.code, name: tenant.name, kind: tenant.kind },
        admin: { id: user.id, email: user.email },
      },
    };
  } catch (e) {
    await ctx.get(DataSource).query('DELETE FROM tenants WHERE id = $1', [tenant.id]);
    throw e;
  }
}

export async function userCreate(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const code = requireFlag(flags, 'tenant');
  const email = requireFlag(flags, 'email');
  const password = requireFlag(flags, 'password');
  const role = requireFlag(flags, 'role');
  const displayName = typeof flags.name === 'string' ? flags.name : email.split('@')[0];
  if (role !== 'admin' && role !== 'member') throw new UsageError('--role must be admin or member');
  await validUser({ email, displayName, role, password });
  if (code.trim().toLowerCase() === PLATFORM_TENANT_CODE) {
    // api.md: a further platform operator (role admin on the platform = operator); the first login
    // enrols a key file in the browser, or `keyfile:issue --tenant platform` writes one.
    if (role !== 'admin') throw new UsageError('a platform operator is created with --role admin');
    const { user } = await ctx.get(UsersService).createOperator(email, password);
    return {
      lines: [`platform operator ${user.email} created (${user.id}); log in with 契約コード "platform"`],
      json: { user: { id: user.id, email: user.email, role: user.role, tenant: PLATFORM_TENANT_CODE } },
    };
  }
  const tenant = await ctx.get(TenantsService).findByCode(code);
  if (!tenant) throw new DomainError(404, 'not_found', 'Not found', `No tenant with code "${code}".`);
  const { user } = await ctx.get(UsersService).create(tenant.id, { email, displayName, role, password });
  return {
    lines: [`user ${user.email} (${user.role}) created in ${tenant.code} (${user.id})`],
    json: { user: { id: user.id, email: user.email, role: user.role, tenant: tenant.code } },
  };
}

function demoPassword(): string {
  return `Demo-${randomBytes(9).toString('base64url')}`;
}

/** Creates (or refreshes) the demo tenant with an admin and a member and prints their credentials. */
export async function seedDemo(ctx: INestApplicationContext, dataDir: string): Promise<CommandResult> {
  const ds = ctx.get(DataSource);
  const tenants = ctx.get(TenantsService);
  const users = ctx.get(UsersService);
  const tenant = (await tenants.findByCode('demo')) ?? (await tenants.create('demo', 'デモ株式会社'));
  const accounts = [
    { email: 'admin@demo.example', displayName: '管理 花子', role: 'admin' as const },
    { email: 'member@demo.example', displayName: '一般 太郎', role: 'member' as const },
  ];
  const out: Array<{ email: string; password: string; role: string; keyFile: string }> = [];
  const keyDir = path.join(dataDir, 'demo-keys');
  for (const a of accounts) {
    const password = demoPassword();
    const existing: Array<{ id: string }> = await ds.query('SELECT id FROM users WHERE tenant_id = $1 AND email = $2', [
      tenant.id,
      a.email,
    ]);
    if (existing[0]) {
      const hash = await ctx.get(PasswordService).hash(password);
      await ds.query(`UPDATE users SET password_hash = $2, status = 'active', locked_until = NULL, failed_login_count = 0 WHERE id = $1`, [
        existing[0].id,
        hash,
      ]);
    } else {
      await users.create(tenant.id, { ...a, password });
    }
    const id: string = (await ds.query('SELECT id FROM users WHERE tenant_id = $1 AND email = $2', [tenant.id, a.email]))[0].id;
    const keyFile = await writeKeyFile(ctx, tenant.id, id, path.join(keyDir, `demo-${a.email}.charlotte-key.json`), 'demo', undefined);
    out.push({ email: a.email, password, role: a.role, keyFile });
  }
  return {
    lines: [
      `demo tenant: code "${tenant.code}" (${tenant.name})`,
      ...out.map((o) => `  ${o.role.padEnd(6)} ${o.email}  password: ${o.password}  key file: ${o.keyFile}`),
      'Log in at the SPA with 契約コード "demo", then choose the key file.',
    ],
    json: { tenant: tenant.code, users: out },
  };
}

export async function migrationRun(ds: DataSource): Promise<CommandResult> {
  const done = await runMigrations(ds);
  return { lines: done.length ? done.map((n) => `applied ${n}`) : ['no pending migrations'], json: { applied: done } };
}

export async function migrationRevert(ds: DataSource): Promise<CommandResult> {
  const before: Array<{ name: string }> = await ds.query('SELECT name FROM schema_migrations ORDER BY id DESC LIMIT 1');
  await ds.undoLastMigration({ transaction: 'each' });
  return { lines: [before[0] ? `reverted ${before[0].name}` : 'nothing to revert'], json: { reverted: before[0]?.name ?? null } };
}

/**
 * Writes a new migration with the SQL that brings the database schema to the
 * entities (what `typeorm migration:generate` does), into apps/api/src/migrations.
 */
export async function migrationGenerate(ds: DataSource, flags: Flags, repoRoot: string): Promise<CommandResult> {
  const name = requireFlag(flags, 'name');
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new UsageError('--name must be alphanumeric, e.g. AddOffices');
  const sql = await ds.driver.createSchemaBuilder().log();
  if (sql.upQueries.length === 0) return { lines: ['schema is up to date: nothing to generate'], json: { file: null } };
  const ts = Date.now();
  const cls = `${name}${ts}`;
  const esc = (q: string) => q.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
  const up = sql.upQueries.map((q) => `    await q.query(\`${esc(q.query)}\`);`).join('\n');
  const down = sql.downQueries
    .reverse()
    .map((q) => `    await q.query(\`${esc(q.query)}\`);`)
    .join('\n');
  const body = `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${cls} implements MigrationInterface {\n  name = '${cls}';\n\n  async up(q: QueryRunner): Promise<void> {\n${up}\n  }\n\n  async down(q: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`;
  const dir = path.join(repoRoot, 'apps/api/src/migrations');
  const file = path.join(dir, `${ts}-${name}.ts`);
  fs.writeFileSync(file, body);
  return {
    lines: [`wrote ${path.relative(repoRoot, file)}; add ${cls} to apps/api/src/migrations/index.ts and review the SQL`],
    json: { file },
  };
}

/** Recomputes the audit chains (one tenant, or every chain) and their signed checkpoints. */
export async function auditVerify(audit: AuditService, ds: DataSource, flags: Flags): Promise<CommandResult> {
  let chains: string[];
  const codes = new Map<string, string>();
  if (typeof flags.tenant === 'string') {
    const t: Array<{ id: string; code: string }> = await ds.query('SELECT id, code FROM tenants WHERE code = $1', [
      flags.tenant.toLowerCase(),
    ]);
    if (!t[0]) throw new DomainError(404, 'not_found', 'Not found', `No tenant with code "${flags.tenant}".`);
    chains = [t[0].id];
  } else {
    chains = await audit.chains();
  }
  for (const r of (await ds.query('SELECT id, code FROM tenants')) as Array<{ id: string; code: string }>) codes.set(r.id, r.code);
  const results = [];
  for (const chain of chains)
    results.push({ chain, tenant: codes.get(chain) ?? (chain === 'platform' ? 'platform' : null), ...(await audit.verify(chain)) });
  const ok = results.every((r) => r.ok);
  return {
    ok,
    lines: results.map((r) =>
      r.ok
        ? `ok      ${r.tenant ?? r.chain}: ${r.checked} events, head ${r.head?.seq ?? 0}, ${r.checkpoints.checked} checkpoints`
        : `BROKEN  ${r.tenant ?? r.chain}: first broken seq ${r.firstBrokenSeq} (${r.reason}), ${r.checked} events verified before it`,
    ),
    json: { chains: results },
  };
}

export async function auditCheckpoint(audit: AuditService): Promise<CommandResult> {
  const n = await audit.checkpointAll();
  return { lines: [`signed ${n} chain head(s)`], json: { signed: n } };
}

/** Issues a key file (as an administrator would) and writes it with 0600 permissions. */
async function writeKeyFile(
  ctx: INestApplicationContext,
  tenantId: string | null,
  userId: string,
  out: string,
  label: string,
  passphrase: string | undefined,
): Promise<string> {
  const file = await ctx.get(KeyfilesService).issue(tenantId, userId, label, passphrase, null);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  return path.resolve(out);
}

/** keyfile:issue --tenant CODE --email EMAIL --out FILE [--label L] [--passphrase P]; tenant "platform" for operators. */
export async function keyfileIssue(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const code = requireFlag(flags, 'tenant').toLowerCase();
  const email = requireFlag(flags, 'email').toLowerCase();
  const out = requireFlag(flags, 'out');
  const label = typeof flags.label === 'string' ? flags.label : 'CLI';
  const passphrase = typeof flags.passphrase === 'string' ? flags.passphrase : undefined;
  if (passphrase !== undefined && passphrase.length < 8) throw new UsageError('--passphrase must have at least 8 characters');
  if (fs.existsSync(out)) throw new UsageError(`${out} exists; refusing to overwrite a key file`);
  const ds = ctx.get(DataSource);
  let tenantId: string | null = null;
  if (code !== PLATFORM_TENANT_CODE) {
    const t = await ctx.get(TenantsService).findByCode(code);
    if (!t) throw new DomainError(404, 'not_found', 'Not found', `No tenant with code "${code}".`);
    tenantId = t.id;
  }
  const u: Array<{ id: string }> = await ds.query('SELECT id FROM users WHERE tenant_id IS NOT DISTINCT FROM $1 AND email = $2', [
    tenantId,
    email,
  ]);
  if (!u[0]) throw new DomainError(404, 'not_found', 'Not found', `No user ${email} in ${code}.`);
  const file = await writeKeyFile(ctx, tenantId, u[0].id, out, label, passphrase);
  // The key material is in the file only; the output names the file and the key id.
  const keyId = (JSON.parse(fs.readFileSync(file, 'utf8')) as { keyId: string }).keyId;
  return {
    lines: [`key file for ${email} (${code}) written to ${file}`, `key id ${keyId}`],
    json: { file, keyId, encrypted: passphrase !== undefined },
  };
}

/**
 * keys:rotate-kek: a new KEK version in the key provider, then every tenant
 * key re-wrapped under it (data untouched). Prints versions and counts only,
 * never key material. Audited as a `system` event.
 */
export async function keysRotateKek(ctx: INestApplicationContext): Promise<CommandResult> {
  const keys = ctx.get(TenantKeysService);
  const out = await keys.rotateKek();
  await ctx.get(AuditService).record({
    category: 'system',
    action: 'keys.kek_rotated',
    outcome: 'success',
    tenantId: null,
    actor: { type: 'system' },
    details: { kekVersion: out.kekVersion, rewrapped: out.rewrapped },
  });
  return { lines: [`KEK version ${out.kekVersion} is current; ${out.rewrapped} tenant key(s) re-wrapped`], json: out };
}

/**
 * keys:rotate-tenant --tenant CODE [--resume]: a new data-key version for the
 * tenant's new writes, then the re-encryption of older values in batches with
 * progress lines. Interrupted (Ctrl-C, crash), it continues with --resume (or
 * by itself: the app resumes unfinished rotations every minute).
 */
export async function keysRotateTenant(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const code = requireFlag(flags, 'tenant').toLowerCase();
  const tenant = await ctx.get(TenantsService).findByCode(code);
  if (!tenant) throw new DomainError(404, 'not_found', 'Not found', `tenant ${code} not found`);
  const rotation = ctx.get(KeyRotationService);
  const audit = ctx.get(AuditService);
  let job;
  if (flags.resume === true) {
    job = (await rotation.unfinished(tenant.id))[0];
    if (!job) return { lines: [`tenant ${code}: no unfinished rotation`], json: { tenant: code, resumed: false } };
  } else {
    job = await rotation.start(tenant.id);
    await audit.record({
      category: 'system',
      action: 'keys.tenant_key_rotated',
      outcome: 'success',
      tenantId: tenant.id,
      actor: { type: 'system' },
      details: { version: job.targetVersion, job: job.id },
    });
  }
  const lines = [
    `tenant ${code}: data-key version ${job.targetVersion} is current for new writes; re-encrypting older values (job ${job.id})`,
  ];
  const done = await rotation.run(job.id, {
    onProgress: (j) => process.stderr.write(`  ${j.processed} value(s) checked, ${j.reencrypted} re-encrypted\n`),
  });
  await audit.record({
    category: 'system',
    action: 'keys.reencryption_finished',
    outcome: 'success',
    tenantId: tenant.id,
    actor: { type: 'system' },
    details: { version: done.targetVersion, job: done.id, processed: done.processed, reencrypted: done.reencrypted },
  });
  lines.push(`done: ${done.processed} value(s) checked, ${done.reencrypted} re-encrypted`);
  return {
    lines,
    json: { tenant: code, version: done.targetVersion, job: done.id, processed: done.processed, reencrypted: done.reencrypted },
  };
}
