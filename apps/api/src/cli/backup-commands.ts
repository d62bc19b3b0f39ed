import * as path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BackupOperatorService, GenerationsService, GenerationView, tenantByCode } from '@charlotte/backup';
import { requireFlag, UsageError } from './args';
import type { CommandResult } from './commands';

type Flags = Record<string, string | true>;

const summary = (g: GenerationView) =>
  `${g.id}  ${g.kind.padEnd(6)} ${g.store.padEnd(7)} ${g.state.padEnd(8)} ${g.createdAt}  ${g.size ?? '-'} bytes  ` +
  `sha256 ${g.sha256 ?? '-'}  key v${g.keyVersion ?? '-'}  verified ${g.verifiedAt ?? 'never'}${g.verifyError ? ` (${g.verifyError})` : ''}`;

/** `backup:run --tenant CODE [--kind daily|weekly]` → `{id, ...generation}` */
export async function backupRun(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const code = requireFlag(flags, 'tenant');
  const kind = flags.kind === undefined ? 'daily' : flags.kind;
  if (kind !== 'daily' && kind !== 'weekly') throw new UsageError('--kind must be daily or weekly');
  const g = await ctx.get(BackupOperatorService).runBackup(code, kind);
  return { lines: [`backup of ${g.tenant} written`, summary(g)], json: { ...g } };
}

/** `backup:list --tenant CODE` */
export async function backupList(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const items = await ctx.get(BackupOperatorService).list(requireFlag(flags, 'tenant'));
  return { lines: items.length ? items.map(summary) : ['no generations'], json: { items } };
}

/** `backup:verify --id ID | --file ARCHIVE`: exits 1 when it does not verify or cannot be opened. */
export async function backupVerify(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const gens = ctx.get(GenerationsService);
  if (typeof flags.file === 'string') {
    const file = path.resolve(flags.file);
    const out = await gens.verifyFile(file);
    const m = out.manifest;
    return {
      ok: out.ok,
      lines: [out.ok ? `${file}: verifies (signature, sha256, decryption, counts)` : `${file}: does NOT verify: ${out.reason}`],
      json: {
        verified: out.ok,
        ...(out.reason ? { reason: out.reason } : {}),
        ...(m
          ? { id: m.generationId, tenant: m.tenant.code, createdAt: m.createdAt, counts: m.counts, sha256: m.sha256, size: m.size }
          : {}),
      },
    };
  }
  if (typeof flags.id !== 'string') throw new UsageError('backup:verify needs --id ID or --file ARCHIVE');
  const row = await gens.rowById(flags.id);
  const out = await gens.verify(row.tenant_id, row.id);
  return {
    ok: out.ok,
    lines: [out.ok ? `${row.id}: verifies (signature, sha256, decryption, counts)` : `${row.id}: does NOT verify: ${out.reason}`],
    json: { verified: out.ok, ...(out.reason ? { reason: out.reason } : {}), ...out.generation },
  };
}

/** `backup:restore --tenant CODE --id ID` */
export async function backupRestore(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const code = requireFlag(flags, 'tenant');
  const id = requireFlag(flags, 'id');
  await tenantByCode(ctx.get(DataSource), code);
  const r = await ctx.get(BackupOperatorService).runRestore(code, id);
  return { lines: [`tenant ${code} restored from generation ${id} (restore ${r.id})`], json: { ...r } };
}
