import { pipeline, Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { Caller, NotFoundError } from '@charlotte/core';
import { ProceduresService } from '@charlotte/procedures';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import { ApplicationStore, ClientAccessService, contentDisposition } from '@charlotte/applications';
import { BLOB_STORE, BlobStore } from '@charlotte/storage';
import type { DocumentDto } from './dto/filing-views.dto';
import { PURPOSE } from './sealing-purposes';
import { documentTitle } from './document-title';

/** What the service returns: the OpenAPI shape itself (DocumentDto), declared once. */
export type DocumentView = DocumentDto;

/** Official documents (公文書) of an application: kept on our side, sealed; every download is an `access` audit event. */
@Injectable()
export class DocumentsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly sealing: SealingService,
    private readonly store: ApplicationStore,
    private readonly audit: AuditService,
    private readonly procedures: ProceduresService,
    private readonly clientAccess: ClientAccessService,
    rotation: KeyRotationService,
  ) {
    // Official documents are kept for years: a tenant key rotation writes them again under the new key version.
    rotation.registerBlobs({ table: 'official_documents', keyColumn: 'blob_key', purpose: PURPOSE.document, store: blobs });
    rotation.register({ table: 'official_documents', column: 'title_sealed', purpose: PURPOSE.documentTitle });
    rotation.register({ table: 'official_documents', column: 'file_name_sealed', purpose: PURPOSE.documentName });
  }

  async list(tenantId: string, caller: Caller, applicationId: string): Promise<DocumentView[]> {
    // 顧問先: 404 outside the caller's clients, 403 right_missing without `documents`.
    await this.clientAccess.forApplication(caller, tenantId, applicationId, 'documents');
    const app = await this.store.row(tenantId, applicationId); // 404 for another tenant's or an unknown application
    // Titles are shown under the procedure's Japanese name, never with the ids e-Gov may put in them.
    const procedureName = this.procedures.list().find((d) => d.code === app.procedure_code)?.name ?? '';
    const rows: Array<{
      id: string;
      title_sealed: Buffer;
      file_name_sealed: Buffer;
      content_type: string;
      size: string;
      sha256: Buffer;
      fetched_at: Date;
      acknowledged_at: Date | null;
    }> = await this.ds.query(
      `SELECT id, title_sealed, file_name_sealed, content_type, size, sha256, fetched_at, acknowledged_at FROM official_documents
          WHERE tenant_id = $1 AND application_id = $2 ORDER BY fetched_at, notice_sub_id, entry_index`,
      [tenantId, applicationId],
    );
    const out: DocumentView[] = [];
    for (const r of rows)
      out.push({
        id: r.id,
        title: documentTitle(await this.sealing.openString(tenantId, PURPOSE.documentTitle, r.id, r.title_sealed), procedureName),
        fileName: await this.sealing.openString(tenantId, PURPOSE.documentName, r.id, r.file_name_sealed),
        contentType: r.content_type,
        size: Number(r.size),
        sha256: r.sha256.toString('hex'),
        fetchedAt: new Date(r.fetched_at).toISOString(),
        acknowledgedAt: r.acknowledged_at ? new Date(r.acknowledged_at).toISOString() : null,
      });
    return out;
  }

  /** How many official documents each of these applications of the tenant has (absent: none). Nothing is opened. */
  async countByApplication(tenantId: string, applicationIds: readonly string[]): Promise<Map<string, number>> {
    if (applicationIds.length === 0) return new Map();
    const rows: Array<{ application_id: string; n: number }> = await this.ds.query(
      `SELECT application_id, count(*)::int AS n FROM official_documents
          WHERE tenant_id = $1 AND application_id = ANY($2::uuid[]) GROUP BY application_id`,
      [tenantId, applicationIds],
    );
    return new Map(rows.map((r) => [r.application_id, r.n]));
  }

  /** The titles of a tenant's official documents by id, as users see them, in one query (other tenants' ids are not found). */
  async titlesOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const rows: Array<{ id: string; title_sealed: Buffer; procedure_code: string }> = await this.ds.query(
      `SELECT d.id, d.title_sealed, a.procedure_code FROM official_documents d
         JOIN applications a ON a.tenant_id = d.tenant_id AND a.id = d.application_id
        WHERE d.tenant_id = $1 AND d.id = ANY($2::uuid[])`,
      [tenantId, ids],
    );
    const names = new Map(this.procedures.list().map((d) => [d.code, d.name]));
    const out = new Map<string, string>();
    for (const r of rows) {
      const raw = await this.sealing.openString(tenantId, PURPOSE.documentTitle, r.id, r.title_sealed);
      out.set(r.id, documentTitle(raw, names.get(r.procedure_code) ?? ''));
    }
    return out;
  }

  /** `inline` for the PDF preview, `attachment` otherwise. */
  async download(tenantId: string, caller: Caller, applicationId: string, id: string, res: Response, inline: boolean): Promise<void> {
    await this.clientAccess.forApplication(caller, tenantId, applicationId, 'documents');
    const rows: Array<{ file_name_sealed: Buffer; content_type: string; size: string; blob_key: string }> = await this.ds.query(
      `SELECT file_name_sealed, content_type, size, blob_key FROM official_documents WHERE tenant_id = $1 AND application_id = $2 AND id = $3`,
      [tenantId, applicationId, id],
    );
    const r = rows[0];
    if (!r) throw new NotFoundError('document');
    const fileName = await this.sealing.openString(tenantId, PURPOSE.documentName, id, r.file_name_sealed);
    // 1 MiB reads, as attachment downloads: a sealed chunk usually opens with one decipher call.
    const stored = await this.blobs.get(r.blob_key, { readChunkBytes: 1024 * 1024 });
    await this.audit.record({
      category: 'access',
      action: 'document.downloaded',
      outcome: 'success',
      tenantId,
      target: { type: 'document', id },
      details: { applicationId, size: Number(r.size), inline: inline && r.content_type === 'application/pdf' },
    });
    res.status(200);
    res.setHeader('Content-Type', r.content_type);
    res.setHeader('Content-Length', String(r.size));
    const disposition = contentDisposition(fileName);
    res.setHeader(
      'Content-Disposition',
      inline && r.content_type === 'application/pdf' ? disposition.replace(/^attachment/, 'inline') : disposition,
    );
    res.setHeader('Cache-Control', 'private, no-store');
    await new Promise<void>((resolve) => {
      pipeline(stored as Readable, this.sealing.openStream(tenantId, PURPOSE.document, id), res, (err) => {
        if (err) res.destroy(err);
        resolve();
      });
    });
  }
}
