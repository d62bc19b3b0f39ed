import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** A row of signing_certificates (the sealed key is read only by `sealedKey`). */
export interface SigningCertificateRow {
  id: string;
  status: 'active' | 'revoked';
  certificate_pem: string;
  chain_pem: string;
  subject: string;
  subject_cn: string | null;
  subject_o: string | null;
  issuer: string;
  serial_number: string;
  not_before: Date;
  not_after: Date;
  fingerprint_sha256: string;
  key_bits: number;
  created_at: Date;
  revoked_at: Date | null;
}

export interface NewSigningCertificate {
  id: string;
  certificatePem: string;
  chainPem: string;
  subject: string;
  subjectCn: string | null;
  subjectO: string | null;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  fingerprintSha256: string;
  keyBits: number;
  privateKeySealed: Buffer;
  uploadedBy: string | null;
}

const COLUMNS = `id, status, certificate_pem, chain_pem, subject, subject_cn, subject_o, issuer, serial_number,
  not_before, not_after, fingerprint_sha256, key_bits, created_at, revoked_at`;

/** The SQL of signing_certificates; every method takes the tenant first and puts it in the WHERE. */
@Injectable()
export class SigningCertificatesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  async active(tenantId: string, m: EntityManager | DataSource = this.ds): Promise<SigningCertificateRow | undefined> {
    const r: SigningCertificateRow[] = await m.query(
      `SELECT ${COLUMNS} FROM signing_certificates WHERE tenant_id = $1 AND status = 'active'`,
      [tenantId],
    );
    return r[0];
  }

  async history(tenantId: string, limit = 20): Promise<SigningCertificateRow[]> {
    return this.ds.query(
      `SELECT ${COLUMNS} FROM signing_certificates WHERE tenant_id = $1 AND status = 'revoked' ORDER BY revoked_at DESC, id LIMIT $2`,
      [tenantId, limit],
    );
  }

  /** The active certificate with its sealed key (for signing only). */
  async activeWithKey(tenantId: string): Promise<(SigningCertificateRow & { private_key_sealed: Buffer }) | undefined> {
    const r = await this.ds.query(
      `SELECT ${COLUMNS}, private_key_sealed FROM signing_certificates WHERE tenant_id = $1 AND status = 'active'`,
      [tenantId],
    );
    return r[0];
  }

  /**
   * Revokes the tenant's active certificate (if any) and erases its sealed key: the history keeps the
   * public part only. Locks the row so that two uploads at once leave one active certificate.
   */
  async revokeActive(m: EntityManager, tenantId: string, by: string | null): Promise<SigningCertificateRow | undefined> {
    const r: [SigningCertificateRow[], number] = await m.query(
      `UPDATE signing_certificates SET status = 'revoked', private_key_sealed = NULL, revoked_at = now(), revoked_by = $2
        WHERE tenant_id = $1 AND status = 'active' RETURNING ${COLUMNS}`,
      [tenantId, by],
    );
    return r[0][0];
  }

  async insert(m: EntityManager, tenantId: string, c: NewSigningCertificate): Promise<SigningCertificateRow> {
    const r: SigningCertificateRow[] = await m.query(
      `INSERT INTO signing_certificates (id, tenant_id, status, certificate_pem, chain_pem, subject, subject_cn, subject_o, issuer,
         serial_number, not_before, not_after, fingerprint_sha256, key_bits, private_key_sealed, uploaded_by)
       VALUES ($1, $2, 'active', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING ${COLUMNS}`,
      [
        c.id,
        tenantId,
        c.certificatePem,
        c.chainPem,
        c.subject,
        c.subjectCn,
        c.subjectO,
        c.issuer,
        c.serialNumber,
        c.notBefore,
        c.notAfter,
        c.fingerprintSha256,
        c.keyBits,
        c.privateKeySealed,
        c.uploadedBy,
      ],
    );
    return r[0];
  }

  /** Serialises uploads of one tenant (a transaction-scoped advisory lock on the tenant id). */
  async lockTenant(m: EntityManager, tenantId: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('signing_certificates:' || $1))`, [tenantId]);
  }
}
