import 'reflect-metadata';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { UserNamesService } from '@charlotte/auth';
import { ConfigError, DomainError, loadConfig, openDatabase, runMigrations } from '@charlotte/core';
import { TenantKeysService } from '@charlotte/crypto';
import { AppModule } from './app.module';
import { parseArgs, UsageError } from './cli/args';
import { backupList, backupRestore, backupRun, backupVerify } from './cli/backup-commands';
import {
  auditCheckpoint,
  auditVerify,
  CommandResult,
  keyfileIssue,
  keysRotateKek,
  keysRotateTenant,
  migrationGenerate,
  migrationRevert,
  migrationRun,
  seedDemo,
  tenantCreate,
  userCreate,
} from './cli/commands';
import { createAppDataSource } from './schema';
// contract end and certified deletion (issue 15)
import { certificateVerify, tenantCancel, tenantDelete, tenantReinstate } from './cli/contract-commands';

const USAGE = `Charlotte operations CLI: npm run cli -- <command> [--json]
  tenant:create --code CODE --name NAME --admin-email EMAIL --admin-password PASSWORD [--admin-name NAME] [--kind company|sharoushi]
  user:create --tenant CODE --email EMAIL --password PASSWORD --role admin|member [--name NAME]   (--tenant platform --role admin: a further platform operator)
  keyfile:issue --tenant CODE --email EMAIL --out FILE [--label LABEL] [--passphrase P]   (tenant "platform" for operators)
  seed:demo
  audit:verify [--tenant CODE]      (exits 1 when a chain does not verify)
  audit:checkpoint                  (signs the head of every chain that moved, now)
  keys:rotate-kek                   (new KEK version; re-wraps every tenant key, data untouched)
  keys:rotate-tenant --tenant CODE [--resume]  (new data-key version; re-encrypts older values, resumable)
  backup:run --tenant CODE [--kind daily|weekly]   (a generation now; weekly also copies it to the remote store)
  backup:list --tenant CODE
  backup:verify --id ID | --file ARCHIVE   (exits 1 when it does not verify; the manifest is ARCHIVE.manifest.json)
  backup:restore --tenant CODE --id ID     (verifies, then replaces the tenant's rows and blobs)
  migration:run | migration:revert | migration:generate --name Name
  tenant:cancel --code CODE [--effective-at ISO]   (contract end; deletion due 5 business days after)
  tenant:reinstate --code CODE
  tenant:delete --code CODE         (the due deletion now, only when cancelled; resumes an interrupted one) → {certificateId}
  certificate:verify --file CERT.json [--public-key FILE]   (offline; exits 1 when it does not verify)
Works against DATABASE_URL, or the embedded database in DATA_DIR (running or not).`;

async function main(argv: string[]): Promise<number> {
  const { command, flags } = parseArgs(argv);
  const asJson = flags.json === true;
  if (!command || command === 'help' || flags.help) {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  const config = loadConfig();
  // contract end: offline, no database
  if (command === 'certificate:verify') {
    const r = certificateVerify(config, flags);
    for (const line of r.lines) process.stdout.write(line + '\n');
    if (asJson) process.stdout.write(JSON.stringify({ ok: r.ok !== false, ...r.json }) + '\n');
    return r.ok === false ? 1 : 0;
  }
  const db = await openDatabase(config);
  let result: CommandResult;
  try {
    if (command.startsWith('migration:')) {
      const ds = createAppDataSource(db.url, 2, 'charlotte-cli');
      await ds.initialize();
      try {
        if (command === 'migration:run') result = await migrationRun(ds);
        else if (command === 'migration:revert') result = await migrationRevert(ds);
        else if (command === 'migration:generate') {
          await runMigrations(ds);
          result = await migrationGenerate(ds, flags, path.resolve(__dirname, '../../../../..'));
        } else throw new UsageError(`unknown command ${command}`);
      } finally {
        await ds.destroy();
      }
    } else {
      const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config, db.url, { schedule: false }), {
        logger: false,
        abortOnError: false,
      });
      try {
        await runMigrations(ctx.get(DataSource));
        await ctx.get(TenantKeysService).ensureAllTenants();
        await ctx.get(UserNamesService).sealPlaintextNames();
        if (command === 'tenant:create') result = await tenantCreate(ctx, flags);
        else if (command === 'user:create') result = await userCreate(ctx, flags);
        else if (command === 'seed:demo') result = await seedDemo(ctx, config.dataDir);
        else if (command === 'keyfile:issue') result = await keyfileIssue(ctx, flags);
        else if (command === 'audit:verify') result = await auditVerify(ctx.get(AuditService), ctx.get(DataSource), flags);
        else if (command === 'audit:checkpoint') result = await auditCheckpoint(ctx.get(AuditService));
        else if (command === 'keys:rotate-kek') result = await keysRotateKek(ctx);
        else if (command === 'keys:rotate-tenant') result = await keysRotateTenant(ctx, flags);
        // contract end and certified deletion
        else if (command === 'tenant:cancel') result = await tenantCancel(ctx, flags);
        else if (command === 'tenant:reinstate') result = await tenantReinstate(ctx, flags);
        else if (command === 'tenant:delete') result = await tenantDelete(ctx, flags);
        // backups
        else if (command === 'backup:run') result = await backupRun(ctx, flags);
        else if (command === 'backup:list') result = await backupList(ctx, flags);
        else if (command === 'backup:verify') result = await backupVerify(ctx, flags);
        else if (command === 'backup:restore') result = await backupRestore(ctx, flags);
        else throw new UsageError(`unknown command ${command}`);
      } finally {
        await ctx.close();
      }
    }
  } finally {
    await db.stop();
  }
  for (const line of result.lines) process.stdout.write(line + '\n');
  const ok = result.ok !== false;
  if (asJson) process.stdout.write(JSON.stringify({ ok, ...result.json }) + '\n');
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const asJson = process.argv.includes('--json');
    let message: string;
    let code = 'error';
    if (e instanceof UsageError) message = `${e.message}\n\n${USAGE}`;
    else if (e instanceof ConfigError) message = e.message;
    else if (e instanceof DomainError) {
      code = e.code;
      message = [e.detail ?? e.title, ...(e.errors ?? []).map((x) => `  ${x.field}: ${x.message}`)].join('\n');
    } else message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`error: ${message}\n`);
    if (asJson) process.stdout.write(JSON.stringify({ ok: false, code, message: e instanceof Error ? e.message : String(e) }) + '\n');
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
