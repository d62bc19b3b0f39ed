import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { canonicalJson, JsonValue } from '@charlotte/audit';

/**
 * The deletion certificate (消去証明書), api.md "Backups, contract end, deletion".
 *
 * Signature: Ed25519 by the service signing key (SigningKeyService; `keyId` is the `kid` of
 * /.well-known/charlotte-signing-key.json), base64url, over the UTF-8 bytes of the canonical JSON
 * of the certificate without its `signature` member. Canonical JSON is the audit export's form
 * (@charlotte/audit canonicalJson): object keys sorted by UTF-16 code unit, recursively; no
 * whitespace; strings as JSON.stringify writes them; numbers are safe integers only; members
 * whose value is undefined are left out. tools/verify-deletion-certificate.mjs repeats it with
 * node:crypto alone.
 */
export const CERTIFICATE_TYPE = 'charlotte-deletion-certificate';
export const CERTIFICATE_VERSION = 1;

/** How the data was made irrecoverable (shown in the JSON and the PDF). */
export const DELETION_METHOD =
  '暗号鍵の破棄（クリプトシュレッディング）と削除：テナントのデータ暗号鍵を全世代破棄し（以前に作成された複製を含め、暗号化された値・添付ファイル・公文書・バックアップは復号できません）、主・遠隔バックアップ保管先のすべてのバックアップ、保存ファイル、データベースの全行を削除しました。監査ログ（個人情報を含みません）は署名付きチェックポイントで閉じて保存しています。 / Crypto-shredding and deletion: every version of the tenant data key was destroyed (all sealed values, attachments, documents and backup archives, including copies made earlier, can no longer be decrypted); then every backup archive in the primary and remote backup stores, every stored blob and every database row of the tenant were deleted. The audit trail (no personal data) is kept and closed by a signed checkpoint.';

export interface DeletionCounts {
  rows: Record<string, number>;
  blobs: number;
  bytes: number;
  backups: { primary: number; remote: number };
  keyVersions: number;
}

export interface DeletionChecks {
  rowsRemaining: number;
  blobsRemaining: number;
  backupsRemaining: number;
  keysRemaining: number;
}

export interface DeletionCertificate {
  type: typeof CERTIFICATE_TYPE;
  version: number;
  id: string;
  tenant: { id: string; code: string; name: string };
  cancelledAt: string | null;
  deletionDueAt: string | null;
  deletedAt: string;
  deleted: DeletionCounts;
  method: string;
  checks: DeletionChecks;
  keyId: string;
  signature: string;
}

/** The exact bytes that are signed: canonical JSON of the certificate without `signature`. */
export function certificateSigningInput(cert: Omit<DeletionCertificate, 'signature'> | DeletionCertificate): string {
  const rest: Record<string, unknown> = { ...cert };
  delete rest.signature;
  return canonicalJson(rest as unknown as JsonValue);
}

/** The public key from a PEM, a JWK, or the JWK Set of /.well-known/charlotte-signing-key.json. */
export function publicKeyFrom(text: string): { key: KeyObject; kid?: string } {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return { key: createPublicKey(t) };
  const json = JSON.parse(t) as {
    keys?: Array<{ kty: string; crv: string; x: string; kid?: string }>;
    kty?: string;
    crv?: string;
    x?: string;
    kid?: string;
  };
  const jwk = Array.isArray(json.keys) ? json.keys[0] : json;
  return { key: createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } as never, format: 'jwk' }), kid: jwk.kid };
}

export interface CertificateVerification {
  ok: boolean;
  reason?: 'not_a_certificate' | 'key_id_mismatch' | 'bad_signature';
}

/** Offline check of a certificate against a public key alone. */
export function verifyCertificate(cert: unknown, key: KeyObject, kid?: string): CertificateVerification {
  const c = cert as Partial<DeletionCertificate> | null;
  if (!c || typeof c !== 'object' || c.type !== CERTIFICATE_TYPE || typeof c.signature !== 'string')
    return { ok: false, reason: 'not_a_certificate' };
  if (kid && c.keyId !== kid) return { ok: false, reason: 'key_id_mismatch' };
  let ok = false;
  try {
    ok = verify(null, Buffer.from(certificateSigningInput(c as DeletionCertificate), 'utf8'), key, Buffer.from(c.signature, 'base64url'));
  } catch {
    ok = false;
  }
  return ok ? { ok } : { ok, reason: 'bad_signature' };
}
