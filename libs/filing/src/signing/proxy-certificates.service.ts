import { createHash, randomUUID } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { ApplicationsErrors, cleanFileName, ClientAccessService, OfficesService } from '@charlotte/applications';
import { AuditService } from '@charlotte/audit';
import { Caller, NotFoundError } from '@charlotte/core';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import {
  BLOB_STORE,
  BlobStore,
  MALWARE_SCANNER,
  MalwareScanner,
  ScannerUnavailableError,
  scanWhileStreaming,
  SNIFF_BYTES,
  sniffType,
} from '@charlotte/storage';
import { PURPOSE } from '../sealing-purposes';
import { ProxyCertificateView } from './dto/signing.dto';
import { readSmallUpload } from './multipart';

/** e-Gov takes attachments of a few MB; a 提出代行証明書 is one or two pages. */
export const MAX_PROXY_CERTIFICATE_BYTES = 2 * 1024 * 1024;
/** What e-Gov accepts as a 提出代行証明書 attachment: PDF, or the XML form (sniffed by content, name must agree). */
const ACCEPTED = new Set(['pdf', 'xml']);

interface Row {
  id: string;
  office_id: string;
  name_sealed: Buffer;
  content_type: string;
  size: string;
  sha256: Buffer;
  blob_key: string;
  created_at: Date;
}

/**
 * The 提出代行証明書 of each office (one file per office), for 社労士 filing on behalf of a client.
 * Stored the way attachments are, through libs/storage's ports: scanned by ClamAV while it is sealed
 * into the blob store (scanWhileStreaming, fail closed), only a clean verdict makes the row; name
 * sealed in the row. The attachment service itself is bound to an application, so the office-level
 * store uses the same exported primitives instead of a second implementation of them.
 */
@Injectable()
export class ProxyCertificatesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(MALWARE_SCANNER) private readonly scanner: MalwareScanner,
    private readonly sealing: SealingService,
    private readonly offices: OfficesService,
    private readonly audit: AuditService,
    private readonly clientAccess: ClientAccessService,
    rotation: KeyRotationService,
  ) {
    rotation.registerBlobs({ table: 'office_proxy_certificates', keyColumn: 'blob_key', purpose: PURPOSE.proxyCertificate, store: blobs });
    rotation.register({ table: 'office_proxy_certificates', column: 'name_sealed', purpose: PURPOSE.proxyCertificateName });
  }

  private refused(tenantId: string, officeId: string, reason: string) {
    return this.audit.recordQuietly({
      category: reason === 'malware_detected' ? 'security' : 'operation',
      action: reason === 'malware_detected' ? 'proxy_certificate.malware_detected' : 'proxy_certificate.refused',
      outcome: 'denied',
      tenantId,
      target: { type: 'office', id: officeId },
      details: { reason },
    });
  }

  private async row(tenantId: string, officeId: string): Promise<Row | undefined> {
    const r: Row[] = await this.ds.query(
      `SELECT id, office_id, name_sealed, content_type, size, sha256, blob_key, created_at
         FROM office_proxy_certificates WHERE tenant_id = $1 AND office_id = $2`,
      [tenantId, officeId],
    );
    return r[0];
  }

  private async view(tenantId: string, r: Row): Promise<ProxyCertificateView> {
    return {
      officeId: r.office_id,
      fileName: await this.sealing.openString(tenantId, PURPOSE.proxyCertificateName, r.id, r.name_sealed),
      contentType: r.content_type,
      size: Number(r.size),
      sha256: r.sha256.toString('hex'),
      uploadedAt: new Date(r.created_at).toISOString(),
    };
  }

  async get(tenantId: string, caller: Caller, officeId: string): Promise<ProxyCertificateView | null> {
    // 顧問先: 404 for an office of a client not assigned to the calling staff member (PUT and DELETE are admins' only).
    await this.clientAccess.forOffice(caller, tenantId, officeId);
    const r = await this.row(tenantId, officeId);
    return r ? this.view(tenantId, r) : null;
  }

  /** Stores (or replaces) the office's file: multipart `file`, PDF or XML, at most 2 MiB. */
  async put(tenantId: string, userId: string, officeId: string, req: Request): Promise<ProxyCertificateView> {
    await this.offices.assertExists(tenantId, officeId);
    let upload;
    try {
      upload = await readSmallUpload(req, MAX_PROXY_CERTIFICATE_BYTES, []);
    } catch (e) {
      if ((e as { code?: string }).code === 'payload_too_large') await this.refused(tenantId, officeId, 'payload_too_large');
      throw e;
    }
    const fileName = cleanFileName(upload.fileName);
    const type = sniffType(upload.file.subarray(0, SNIFF_BYTES), fileName);
    if (!type || !ACCEPTED.has(type.type)) {
      await this.refused(tenantId, officeId, 'unsupported_file_type');
      throw ApplicationsErrors.unsupportedFileType();
    }
    const id = randomUUID();
    const key = `tenants/${tenantId}/proxy-certificates/${id}`;
    let result;
    try {
      result = await scanWhileStreaming(this.scanner, Readable.from([upload.file]), {
        write: async (copy, signal) => {
          const sealer = await this.sealing.sealStream(tenantId, PURPOSE.proxyCertificate, id);
          if (signal.aborted) {
            sealer.destroy();
            throw new Error('upload aborted');
          }
          const onAbort = () => sealer.destroy(new Error('upload aborted'));
          signal.addEventListener('abort', onAbort, { once: true });
          pipeline(copy, sealer, () => undefined);
          try {
            await this.blobs.put(key, sealer);
          } finally {
            signal.removeEventListener('abort', onAbort);
          }
          return key;
        },
        discard: (k) => this.blobs.delete(k),
      });
    } catch (caught) {
      // No verdict is no verdict: fail closed like the attachments.
      const e = caught ?? new ScannerUnavailableError('the scan stopped without a verdict');
      if (e instanceof ScannerUnavailableError) await this.refused(tenantId, officeId, 'scanner_unavailable');
      throw e;
    }
    if (!result.verdict.clean) {
      await this.blobs.delete(key);
      await this.refused(tenantId, officeId, 'malware_detected');
      throw ApplicationsErrors.malwareDetected(result.verdict.signature);
    }
    const sha256 = createHash('sha256').update(upload.file).digest();
    const name = await this.sealing.seal(tenantId, PURPOSE.proxyCertificateName, id, fileName);
    let oldKey: string | undefined;
    try {
      await this.ds.transaction(async (m) => {
        // DELETE … RETURNING answers [rows, count].
        const old: [Array<{ blob_key: string }>, number] = await m.query(
          `DELETE FROM office_proxy_certificates WHERE tenant_id = $1 AND office_id = $2 RETURNING blob_key`,
          [tenantId, officeId],
        );
        oldKey = old[0][0]?.blob_key;
        await m.query(
          `INSERT INTO office_proxy_certificates (id, tenant_id, office_id, name_sealed, content_type, size, sha256, blob_key, uploaded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [id, tenantId, officeId, name, type.mime, upload.file.length, sha256, key, userId],
        );
      });
    } catch (e) {
      await this.blobs.delete(key);
      throw e;
    }
    if (oldKey) await this.blobs.delete(oldKey);
    await this.audit.record({
      category: 'operation',
      action: 'proxy_certificate.uploaded',
      outcome: 'success',
      tenantId,
      target: { type: 'office', id: officeId },
      details: { size: upload.file.length, type: type.type, scan: 'clean', replaced: Boolean(oldKey) },
    });
    return {
      officeId,
      fileName,
      contentType: type.mime,
      size: upload.file.length,
      sha256: sha256.toString('hex'),
      uploadedAt: new Date().toISOString(),
    };
  }

  async remove(tenantId: string, officeId: string): Promise<void> {
    await this.offices.assertExists(tenantId, officeId);
    const [old]: [Array<{ blob_key: string }>, number] = await this.ds.query(
      `DELETE FROM office_proxy_certificates WHERE tenant_id = $1 AND office_id = $2 RETURNING blob_key`,
      [tenantId, officeId],
    );
    if (!old[0]) throw new NotFoundError('proxy certificate');
    await this.blobs.delete(old[0].blob_key);
    await this.audit.record({
      category: 'operation',
      action: 'proxy_certificate.removed',
      outcome: 'success',
      tenantId,
      target: { type: 'office', id: officeId },
    });
  }

  /** The file as the e-Gov package attaches it (name and opened bytes), or undefined when the office has none. */
  async fileFor(tenantId: string, officeId: string): Promise<{ fileName: string; data: Buffer } | undefined> {
    const r = await this.row(tenantId, officeId);
    if (!r) return undefined;
    const fileName = await this.sealing.openString(tenantId, PURPOSE.proxyCertificateName, r.id, r.name_sealed);
    const stored = (await this.blobs.get(r.blob_key)) as Readable;
    const opener = this.sealing.openStream(tenantId, PURPOSE.proxyCertificate, r.id);
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      opener.on('data', (c: Buffer) => chunks.push(c));
      pipeline(stored, opener, (err) => (err ? reject(err) : resolve()));
    });
    return { fileName, data: Buffer.concat(chunks) };
  }
}
