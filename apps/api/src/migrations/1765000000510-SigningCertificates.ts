import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16, electronic signature: the tenant's e-signature certificate
 * (PKCS#12 opened once at upload) and the 提出代行証明書 of each office.
 *
 * signing_certificates: the certificate and its chain are public data (plain
 * PEM and metadata columns, shown to the tenant); the private key exists only
 * sealed with the tenant key (`private_key_sealed`, purpose
 * `filing.signing_key`). One active row per tenant; a replaced or removed
 * certificate stays as `revoked` history with its sealed key erased (the
 * CHECKs make a revoked row holding a key, or an active row without one,
 * impossible). The PIN and the .p12 bytes are never stored.
 *
 * office_proxy_certificates: one file per office, the content sealed in the
 * blob store (`blob_key`, so backups and key rotation find it like
 * attachments), its name sealed in the row.
 */
export class SigningCertificates1765000000510 implements MigrationInterface {
  name = 'SigningCertificates1765000000510';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE signing_certificates (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        status text NOT NULL CHECK (status IN ('active', 'revoked')),
        certificate_pem text NOT NULL,
        chain_pem text NOT NULL DEFAULT '',
        subject_cn text,
        subject_o text,
        subject text NOT NULL,
        issuer text NOT NULL,
        serial_number text NOT NULL,
        not_before timestamptz NOT NULL,
        not_after timestamptz NOT NULL,
        fingerprint_sha256 text NOT NULL,
        key_bits integer NOT NULL,
        private_key_sealed bytea,
        uploaded_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoked_by uuid,
        CHECK ((status = 'active') = (private_key_sealed IS NOT NULL)),
        CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX signing_certificates_one_active ON signing_certificates (tenant_id) WHERE status = 'active'`);
    await q.query(`CREATE INDEX signing_certificates_tenant_idx ON signing_certificates (tenant_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE office_proxy_certificates (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        office_id uuid NOT NULL REFERENCES offices(id),
        name_sealed bytea NOT NULL,
        content_type text NOT NULL,
        size bigint NOT NULL,
        sha256 bytea NOT NULL,
        blob_key text NOT NULL,
        uploaded_by uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX office_proxy_certificates_office ON office_proxy_certificates (tenant_id, office_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE office_proxy_certificates`);
    await q.query(`DROP TABLE signing_certificates`);
  }
}
