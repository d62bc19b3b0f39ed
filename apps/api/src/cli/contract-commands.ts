import * as fs from 'node:fs';
import * as path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { ContractService, DeletionService, publicKeyFrom, verifyCertificate } from '@charlotte/backup';
import { AppConfig, ValidationFailedError } from '@charlotte/core';
import { requireFlag, UsageError } from './args';
import type { CommandResult } from './commands';

type Flags = Record<string, string | true>;

/** Contract end on the command line (api.md): the same services, checks and audit events as the operator API. */
export async function tenantCancel(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const code = requireFlag(flags, 'code');
  let effectiveAt: Date | undefined;
  if (flags['effective-at'] !== undefined) {
    const v = requireFlag(flags, 'effective-at');
    effectiveAt = new Date(v);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(effectiveAt.getTime()))
      throw new ValidationFailedError([
        { field: 'effective-at', code: 'datetime_with_offset', message: 'must be an ISO 8601 date-time with Z or ±HH:MM' },
      ]);
  }
  const t = await ctx.get(ContractService).cancel(code, effectiveAt);
  return {
    lines: [`tenant ${t.code} cancelled from ${t.cancelledAt}; deletion due ${t.deletionDueAt}`],
    json: { ...t },
  };
}

export async function tenantReinstate(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const t = await ctx.get(ContractService).reinstate(requireFlag(flags, 'code'));
  return { lines: [`tenant ${t.code} reinstated`], json: { ...t } };
}

/** The due deletion, now (only when cancelled); resumes an interrupted one. Prints the certificate id. */
export async function tenantDelete(ctx: INestApplicationContext, flags: Flags): Promise<CommandResult> {
  const deletion = ctx.get(DeletionService);
  const jobId = await deletion.request(requireFlag(flags, 'code'), 'operator');
  const certificateId = await deletion.run(jobId);
  return { lines: [`tenant deleted; certificate ${certificateId}`], json: { jobId, certificateId } };
}

/**
 * Offline verification of a deletion certificate: no database, no server. The key: --public-key
 * FILE (PEM, a JWK, or the JSON of /.well-known/charlotte-signing-key.json), else the local
 * signing key file (SIGNING_KEY_FILE or DATA_DIR/keys/signing-ed25519.pem). Exit 1 when it does
 * not verify.
 */
export function certificateVerify(config: AppConfig, flags: Flags): CommandResult {
  const file = requireFlag(flags, 'file');
  const keyFile =
    typeof flags['public-key'] === 'string'
      ? flags['public-key']
      : (config.signingKeyFile ?? path.join(config.dataDir, 'keys', 'signing-ed25519.pem'));
  let certText: string;
  let keyText: string;
  try {
    certText = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  try {
    keyText = fs.readFileSync(keyFile, 'utf8');
  } catch {
    throw new UsageError(`cannot read the public key ${keyFile} (give --public-key FILE)`);
  }
  let cert: unknown;
  try {
    cert = JSON.parse(certText);
  } catch {
    return { ok: false, lines: ['NOT VERIFIED: the file is not JSON'], json: { verified: false, reason: 'not_json' } };
  }
  const { key, kid } = publicKeyFrom(keyText);
  const r = verifyCertificate(cert, key, kid);
  const c = cert as { id?: string; tenant?: { code?: string }; deletedAt?: string };
  return r.ok
    ? { lines: [`VERIFIED: deletion certificate ${c.id} of ${c.tenant?.code}, deleted ${c.deletedAt}`], json: { verified: true, id: c.id } }
    : { ok: false, lines: [`NOT VERIFIED: ${r.reason}`], json: { verified: false, reason: r.reason } };
}
