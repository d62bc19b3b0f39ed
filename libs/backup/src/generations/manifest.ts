import { canonicalJson, JsonValue } from '@charlotte/audit';
import type { SigningKeyService } from '@charlotte/crypto';

export type GenerationKind = 'daily' | 'weekly';
export type GenerationState = 'running' | 'complete' | 'failed';

/** Row counts per archived table, plus `blobs` (the number of blob entries). */
export type GenerationCounts = Record<string, number>;

/**
 * The signed description of one archive, written beside it
 * (`<archive>.manifest.json`). It names everything verification checks:
 * the sha256 and size of the sealed bytes as stored, the rows per table and
 * the blobs inside, the data-key version that sealed it and the schema
 * version (latest migration) that wrote it. `archiveId` is the record id the
 * archive was sealed under (AAD): the generation's own id for a daily one, the
 * daily source's for a weekly copy (the copy is the same bytes).
 */
export interface BackupManifest {
  type: 'charlotte-backup-manifest';
  version: 1;
  generationId: string;
  archiveId: string;
  tenant: { id: string; code: string };
  kind: GenerationKind;
  createdAt: string;
  schemaVersion: string;
  keyVersion: number;
  counts: GenerationCounts;
  blobBytes: number;
  size: number;
  sha256: string;
  keyId: string;
  signature: string;
}

/** The signed message: canonical JSON (audit export form: keys sorted recursively, no whitespace) without `signature`. */
export function manifestMessage(m: Omit<BackupManifest, 'signature'> | BackupManifest): string {
  const rest: Record<string, unknown> = { ...m };
  delete rest.signature;
  return canonicalJson(rest as JsonValue);
}

export async function signManifest(signing: SigningKeyService, m: Omit<BackupManifest, 'signature' | 'keyId'>): Promise<BackupManifest> {
  const unsigned = { ...m, keyId: signing.keyId };
  return { ...unsigned, signature: await signing.sign(manifestMessage(unsigned)) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Parses a manifest's JSON and checks its shape (not its signature); `reason` says what is wrong. */
export function parseManifest(text: string): { manifest?: BackupManifest; reason?: string } {
  let m: BackupManifest;
  try {
    m = JSON.parse(text) as BackupManifest;
  } catch {
    return { reason: 'the manifest is not JSON' };
  }
  if (!m || typeof m !== 'object' || m.type !== 'charlotte-backup-manifest' || m.version !== 1) return { reason: 'not a backup manifest' };
  if (!UUID.test(String(m.generationId)) || !UUID.test(String(m.archiveId)) || !UUID.test(String(m.tenant?.id)))
    return { reason: 'the manifest names no valid generation or tenant' };
  if (typeof m.signature !== 'string' || typeof m.keyId !== 'string') return { reason: 'the manifest is not signed' };
  if (!m.counts || typeof m.counts !== 'object' || !Number.isSafeInteger(m.size) || typeof m.sha256 !== 'string')
    return { reason: 'the manifest has no counts, size or sha256' };
  return { manifest: m };
}

/** A generation as the API shows it (api.md), plus its state and verification error. */
export interface GenerationView {
  id: string;
  tenant: string;
  kind: GenerationKind;
  store: 'primary' | 'remote';
  state: GenerationState;
  createdAt: string;
  completedAt: string | null;
  size: number | null;
  sha256: string | null;
  keyVersion: number | null;
  schemaVersion: string | null;
  counts: GenerationCounts | null;
  verifiedAt: string | null;
  verifyError: string | null;
  progressBytes: number;
  error: string | null;
}

export interface GenerationRow {
  id: string;
  tenant_id: string;
  kind: GenerationKind;
  store: 'primary' | 'remote';
  state: GenerationState;
  error: string | null;
  archive_key: string;
  manifest_key: string;
  size: string | null;
  sha256: string | null;
  key_version: number | null;
  schema_version: string | null;
  counts: GenerationCounts | null;
  progress_bytes: string;
  source_id: string | null;
  created_at: Date;
  completed_at: Date | null;
  verified_at: Date | null;
  verify_error: string | null;
}

export function toView(r: GenerationRow, tenantCode: string): GenerationView {
  return {
    id: r.id,
    tenant: tenantCode,
    kind: r.kind,
    store: r.store,
    state: r.state,
    createdAt: r.created_at.toISOString(),
    completedAt: r.completed_at ? r.completed_at.toISOString() : null,
    size: r.size === null ? null : Number(r.size),
    sha256: r.sha256,
    keyVersion: r.key_version,
    schemaVersion: r.schema_version,
    counts: r.counts,
    verifiedAt: r.verified_at ? r.verified_at.toISOString() : null,
    verifyError: r.verify_error,
    progressBytes: Number(r.progress_bytes),
    error: r.error,
  };
}
