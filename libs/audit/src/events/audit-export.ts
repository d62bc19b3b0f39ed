import type { AuditService } from './audit.service';
import { rowToHashed } from './audit.service';
import { eventValues } from './canonical';
import type { PublicJwk } from '@charlotte/crypto';

/**
 * The CSV holds the hashed columns only, like the JSONL, and no names resolved for the viewer
 * (issue 18 「対象 in words」, a deliberate choice): the export is the evidence copy of the chain,
 * so every cell must be what was hashed and be the same whoever exports it and whenever; a name is
 * neither (a title changes, a record is deleted). Names such as application titles and display
 * names are personal data kept sealed in the database: a file that leaves the system should not
 * carry them in the clear. Readers who want words use the audit log page, or the list API, which
 * names targets and actors at read time.
 */
const CSV_COLUMNS = [
  'record_type',
  'chain',
  'seq',
  'id',
  'occurred_at',
  'category',
  'action',
  'outcome',
  'tenant_id',
  'actor_type',
  'actor_id',
  'target_type',
  'target_id',
  'request_id',
  'ip',
  'user_agent',
  'details',
  'prev_hash',
  'hash',
  'checkpoint_kind',
  'created_at',
  'key_id',
  'signature',
];

/** RFC 4180 quoting, and a leading quote on cells a spreadsheet would run as a formula. */
function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One chain as an export: JSON Lines (header, events, checkpoints; verifiable
 * offline with tools/verify-audit-export.mjs and the public key alone) or CSV
 * (the same records for spreadsheets). Streams in batches.
 */
export async function* exportChain(audit: AuditService, chain: string, format: 'jsonl' | 'csv', key: PublicJwk): AsyncGenerator<string> {
  const checkpoints = await audit.checkpoints(chain);
  if (format === 'jsonl') {
    yield (
      JSON.stringify({ type: 'charlotte-audit-export', version: 1, chain, exportedAt: new Date().toISOString(), signingKey: key }) + '\n'
    );
  } else {
    yield '\ufeff' + CSV_COLUMNS.join(',') + '\r\n';
  }
  for await (const rows of audit.events(chain)) {
    let out = '';
    for (const r of rows) {
      const e = rowToHashed(r);
      if (format === 'jsonl') {
        out += JSON.stringify({ type: 'event', ...e, prevHash: r.prev_hash.toString('hex'), hash: r.hash.toString('hex') }) + '\n';
      } else {
        out +=
          ['event', ...eventValues(e), r.prev_hash.toString('hex'), r.hash.toString('hex'), null, null, null, null].map(csvCell).join(',') +
          '\r\n';
      }
    }
    yield out;
  }
  for (const c of checkpoints) {
    const cp = {
      chain: c.chain_key,
      kind: c.kind,
      seq: Number(c.seq),
      hash: c.hash.toString('hex'),
      createdAt: c.created_at,
      keyId: c.key_id,
      signature: c.signature,
    };
    if (format === 'jsonl') yield JSON.stringify({ type: 'checkpoint', ...cp }) + '\n';
    else {
      const cells = Array<unknown>(CSV_COLUMNS.length).fill(null);
      cells[0] = 'checkpoint';
      cells[1] = cp.chain;
      cells[2] = cp.seq;
      cells[18] = cp.hash;
      cells[19] = cp.kind;
      cells[20] = cp.createdAt;
      cells[21] = cp.keyId;
      cells[22] = cp.signature;
      yield cells.map(csvCell).join(',') + '\r\n';
    }
  }
}
