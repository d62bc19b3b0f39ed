import { createHash, randomUUID } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import busboy from 'busboy';
import type { Request, Response } from 'express';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig, Caller, DomainError, NotFoundError } from '@charlotte/core';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import {
  BLOB_STORE,
  BlobStore,
  chunksOf,
  MALWARE_SCANNER,
  MalwareScanner,
  ScannerUnavailableError,
  scanWhileStreaming,
  SNIFF_BYTES,
  sniffType,
} from '@charlotte/storage';
import { actorOf } from '../applications/actor';
import { ApplicationStore } from '../applications/application.store';
import { ApplicationStatus, AttachmentView } from '../applications/dto/application.dto';
import { PURPOSE } from '../sealing-purposes';
import { ApplicationsErrors } from '../errors';
import { ClientAccessService } from '../clients/client-access.service';

const CONTENT = PURPOSE.attachment;
const NAME = PURPOSE.attachmentName;

/** The name as the user gave it, without any path and control characters (it is only ever shown and sent back). */
export function cleanFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 255);
  return clean || 'file';
}

/**
 * Content-Disposition for a download (RFC 6266 with RFC 5987 `filename*`): an
 * ASCII fallback for old clients and the exact UTF-8 name for the rest, so a
 * Japanese name survives and no quote or CRLF can break the header.
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_') || 'file';
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * Reads of the sealed file for a download: 1 MiB instead of the stream default of 64 KiB,
 * so that a 256 KiB sealed chunk usually sits in one read and is opened with one
 * decipher call, and a 20 MB download is 20 reads rather than 306 (bench, issue 20).
 */
const DOWNLOAD_READ_BYTES = 1024 * 1024;

const tooLarge = ApplicationsErrors.payloadTooLarge;
const unsupported = ApplicationsErrors.unsupportedFileType;

interface Row {
  id: string;
  name_sealed: Buffer;
  content_type: string;
  size: string;
  sha256: Buffer;
  blob_key: string;
  created_at: Date;
}

/**
 * Attachments: every upload is streamed through ClamAV and, at the same time,
 * sealed into the BlobStore; only a clean verdict makes it an attachment. An
 * infected or unscannable file leaves nothing (the sealed copy is deleted, no
 * row is written). Downloads stream from the store and are opened on the fly.
 */
@Injectable()
export class AttachmentsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(MALWARE_SCANNER) private readonly scanner: MalwareScanner,
    private readonly sealing: SealingService,
    private readonly applications: ApplicationStore,
    private readonly audit: AuditService,
    private readonly clientAccess: ClientAccessService,
    rotation: KeyRotationService,
  ) {
    // A tenant key rotation writes the files again under the new key version.
    rotation.registerBlobs({ table: 'attachments', keyColumn: 'blob_key', purpose: CONTENT, store: blobs });
  }

  /** Recorded quietly: a refusal is never lost, and never turns into a 500 of its own. */
  private refused(tenantId: string, applicationId: string, reason: string, details: Record<string, string | number> = {}) {
    return this.audit.recordQuietly({
      category: reason === 'malware_detected' ? 'security' : 'operation',
      action: reason === 'malware_detected' ? 'attachment.malware_detected' : 'attachment.refused',
      outcome: 'denied',
      tenantId,
      target: { type: 'application', id: applicationId },
      details: { reason, ...details },
    });
  }

  /** multipart/form-data with one field `file`; answers once the file is scanned, sealed and stored. */
  /** The file names of a tenant's attachments, by id, in one query (other tenants' ids are not found). */
  async namesOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const rows: Array<{ id: string; name_sealed: Buffer }> = await this.ds.query(
      `SELECT id, name_sealed FROM attachments WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, ids],
    );
    const out = new Map<string, string>();
    for (const r of rows) out.set(r.id, await this.sealing.openString(tenantId, NAME, r.id, r.name_sealed));
    return out;
  }

  async upload(tenantId: string, caller: Caller, applicationId: string, req: Request): Promise<AttachmentView> {
    // 404 outside the caller's clients (顧問先), 403 right_missing without `draft`; before the body is read.
    await this.clientAccess.forApplication(caller, tenantId, applicationId, 'draft').catch((e: unknown) => {
      req.resume();
      throw e;
    });
    await this.applications.assertEditable(tenantId, applicationId);
    if (!req.is('multipart/form-data')) throw ApplicationsErrors.badUpload('send the file as multipart/form-data in the field "file"');
    const max = this.config.attachmentMaxBytes;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max + 64 * 1024) {
      await this.refused(tenantId, applicationId, 'payload_too_large', { size: declared });
      req.resume();
      throw tooLarge(max);
    }
    return new Promise<AttachmentView>((resolve, reject) => {
      let handled = false;
      let bb: ReturnType<typeof busboy>;
      try {
        bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: max, fields: 0, parts: 2 }, defParamCharset: 'utf8' });
      } catch (e) {
        // busboy throws synchronously on a malformed Content-Type (no boundary, unknown multipart
        // subtype): that is the client's mistake, a 400, not a 500 (found by the OpenAPI fuzz test).
        req.resume();
        reject(e instanceof Error ? ApplicationsErrors.badUpload('malformed multipart body') : e);
        return;
      }
      bb.on('file', (field, file, info) => {
        if (field !== 'file' || handled) {
          file.resume();
          return;
        }
        handled = true;
        this.store(tenantId, caller, applicationId, file, cleanFileName(info.filename)).then(resolve, (e: unknown) => {
          file.resume();
          reject(e);
        });
      });
      bb.on('error', (e) => reject(e instanceof Error ? ApplicationsErrors.badUpload(e.message) : e));
      bb.on('close', () => {
        if (!handled) reject(ApplicationsErrors.badUpload('no file in the field "file"'));
      });
      req.pipe(bb);
    });
  }

  private async store(
    tenantId: string,
    caller: Caller,
    applicationId: string,
    file: Readable & { truncated?: boolean },
    fileName: string,
  ): Promise<AttachmentView> {
    const max = this.config.attachmentMaxBytes;
    // The head decides the type by content (and the name's extension must agree).
    // chunksOf: busboy's chunks as they come, never joined into copies (Readable's own iterator does).
    const it = chunksOf(file) as AsyncIterator<Buffer>;
    let head = Buffer.alloc(0);
    let ended = false;
    while (head.length < SNIFF_BYTES) {
      const n = await it.next();
      if (n.done) {
        ended = true;
        break;
      }
      head = Buffer.concat([head, n.value]);
    }
    const type = sniffType(head.subarray(0, SNIFF_BYTES), fileName);
    if (!type) {
      await this.refused(tenantId, applicationId, 'unsupported_file_type');
      throw unsupported();
    }
    const hash = createHash('sha256');
    let size = 0;
    async function* body(): AsyncGenerator<Buffer> {
      const count = (b: Buffer) => {
        size += b.length;
        hash.update(b);
        return b;
      };
      if (head.length) yield count(head);
      if (!ended)
        for (;;) {
          const n = await it.next();
          if (n.done) break;
          yield count(n.value);
        }
      // busboy stops at the size limit and marks the stream: the file is refused, not cut.
      if (file.truncated) throw tooLarge(max);
    }

    const id = randomUUID();
    const key = `tenants/${tenantId}/attachments/${id}`;
    let result;
    try {
      result = await scanWhileStreaming(this.scanner, body(), {
        write: async (copy, signal) => {
          const sealer = await this.sealing.sealStream(tenantId, CONTENT, id);
          // The scan may already have failed while the key was being fetched: the abort event is then gone.
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
      // A scan that stopped without a reason (a stream torn down without an
      // error) is still no verdict: fail closed like an unreachable scanner.
      const e = caught ?? new ScannerUnavailableError('the scan stopped without a verdict');
      if (e instanceof DomainError && e.code === 'payload_too_large') await this.refused(tenantId, applicationId, 'payload_too_large');
      else if (e instanceof ScannerUnavailableError) await this.refused(tenantId, applicationId, 'scanner_unavailable');
      throw e;
    }
    if (!result.verdict.clean) {
      await this.blobs.delete(key);
      await this.refused(tenantId, applicationId, 'malware_detected', {
        signature: result.verdict.signature.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 200),
        size,
      });
      throw ApplicationsErrors.malwareDetected(result.verdict.signature);
    }
    const sha256 = hash.digest();
    try {
      const name = await this.sealing.seal(tenantId, NAME, id, fileName);
      await this.ds.transaction(async (m) => {
        // The application may have been submitted or deleted while the file was uploading.
        const status = await this.lockEditable(m, tenantId, applicationId);
        await m.query(
          `INSERT INTO attachments (id, tenant_id, application_id, name_sealed, content_type, size, sha256, blob_key, scan, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'clean', $9)`,
          [id, tenantId, applicationId, name, type.mime, size, sha256, key, actorOf(caller)],
        );
        await this.applications.event(m, tenantId, applicationId, 'attachment_added', actorOf(caller), {
          attachmentId: id,
          size,
          type: type.type,
        });
        await this.applications.edited(m, tenantId, applicationId, status, actorOf(caller));
      });
    } catch (e) {
      await this.blobs.delete(key);
      throw e;
    }
    await this.audit.record({
      category: 'operation',
      action: 'attachment.uploaded',
      outcome: 'success',
      tenantId,
      target: { type: 'attachment', id },
      details: { applicationId, size, type: type.type, scan: 'clean' },
    });
    return {
      id,
      fileName,
      contentType: type.mime,
      size,
      sha256: sha256.toString('hex'),
      scan: 'clean' as const,
      createdAt: new Date().toISOString(),
    };
  }

  private async row(tenantId: string, applicationId: string, id: string): Promise<Row> {
    const r: Row[] = await this.ds.query(
      `SELECT id, name_sealed, content_type, size, sha256, blob_key, created_at FROM attachments WHERE tenant_id = $1 AND application_id = $2 AND id = $3`,
      [tenantId, applicationId, id],
    );
    if (!r[0]) throw new NotFoundError('attachment');
    return r[0];
  }

  /** Streams the file: read from the store, opened on the fly; an `access` audit event. */
  async download(tenantId: string, caller: Caller, applicationId: string, id: string, res: Response): Promise<void> {
    await this.clientAccess.forApplication(caller, tenantId, applicationId);
    const r = await this.row(tenantId, applicationId, id);
    const fileName = await this.sealing.openString(tenantId, NAME, id, r.name_sealed);
    const stored = await this.blobs.get(r.blob_key, { readChunkBytes: DOWNLOAD_READ_BYTES });
    await this.audit.record({
      category: 'access',
      action: 'attachment.downloaded',
      outcome: 'success',
      tenantId,
      target: { type: 'attachment', id },
      details: { applicationId, size: Number(r.size) },
    });
    res.status(200);
    res.setHeader('Content-Type', r.content_type);
    res.setHeader('Content-Length', String(r.size));
    res.setHeader('Content-Disposition', contentDisposition(fileName));
    res.setHeader('Cache-Control', 'private, no-store');
    await new Promise<void>((resolve) => {
      // On a failure mid-stream (tampered blob) the response is cut: the client never gets unauthenticated bytes as a whole file.
      pipeline(stored as Readable, this.sealing.openStream(tenantId, CONTENT, id), res, (err) => {
        if (err) res.destroy(err);
        resolve();
      });
    });
  }

  /** Under the application's row lock: it may have been submitted, deleted or its 補正 sent meanwhile. */
  private async lockEditable(m: EntityManager, tenantId: string, applicationId: string): Promise<ApplicationStatus> {
    const app = await this.applications.lock(m, tenantId, applicationId);
    await this.applications.assertEditable(tenantId, applicationId, m, app);
    return app.status;
  }

  async remove(tenantId: string, caller: Caller, applicationId: string, id: string): Promise<void> {
    await this.clientAccess.forApplication(caller, tenantId, applicationId, 'draft');
    await this.applications.assertEditable(tenantId, applicationId);
    const r = await this.row(tenantId, applicationId, id);
    await this.ds.transaction(async (m) => {
      const status = await this.lockEditable(m, tenantId, applicationId);
      await m.query(`DELETE FROM attachments WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
      await this.applications.event(m, tenantId, applicationId, 'attachment_removed', actorOf(caller), { attachmentId: id });
      await this.applications.edited(m, tenantId, applicationId, status, actorOf(caller));
    });
    await this.blobs.delete(r.blob_key);
    await this.audit.record({
      category: 'operation',
      action: 'attachment.deleted',
      outcome: 'success',
      tenantId,
      target: { type: 'attachment', id },
      details: { applicationId },
    });
  }

  /** The attachments of an application, for its detail view (names opened). */
  async list(tenantId: string, applicationId: string): Promise<AttachmentView[]> {
    const attachments: Array<{
      id: string;
      name_sealed: Buffer;
      content_type: string;
      size: string;
      sha256: Buffer;
      scan: 'clean';
      created_at: Date;
    }> = await this.ds.query(
      `SELECT id, name_sealed, content_type, size, sha256, scan, created_at FROM attachments WHERE tenant_id = $1 AND application_id = $2 ORDER BY created_at, id`,
      [tenantId, applicationId],
    );
    const files: AttachmentView[] = [];
    for (const a of attachments)
      files.push({
        id: a.id,
        fileName: await this.sealing.openString(tenantId, NAME, a.id, a.name_sealed),
        contentType: a.content_type,
        size: Number(a.size),
        sha256: a.sha256.toString('hex'),
        scan: a.scan,
        createdAt: new Date(a.created_at).toISOString(),
      });
    return files;
  }

  /** The attachments of an application as the e-Gov package takes them: names opened, contents opened on demand. */
  async forPackage(
    tenantId: string,
    applicationId: string,
  ): Promise<Array<{ fileName: string; contentType: string; size: number; open: () => Readable }>> {
    const files: Array<{ id: string; name_sealed: Buffer; content_type: string; size: string; blob_key: string }> = await this.ds.query(
      `SELECT id, name_sealed, content_type, size, blob_key FROM attachments WHERE tenant_id = $1 AND application_id = $2 ORDER BY created_at, id`,
      [tenantId, applicationId],
    );
    const out = [];
    for (const f of files)
      out.push({
        fileName: await this.sealing.openString(tenantId, NAME, f.id, f.name_sealed),
        contentType: f.content_type,
        size: Number(f.size),
        open: () => {
          const opener = this.sealing.openStream(tenantId, CONTENT, f.id);
          void this.blobs.get(f.blob_key).then(
            (st) => (st as Readable).pipe(opener),
            (e: unknown) => opener.destroy(e as Error),
          );
          return opener;
        },
      });
    return out;
  }

  /** The blob keys of an application's attachments, in the caller's transaction (before the rows go). */
  async blobKeys(m: EntityManager, tenantId: string, applicationId: string): Promise<string[]> {
    const keys: Array<{ blob_key: string }> = await m.query(
      `SELECT blob_key FROM attachments WHERE tenant_id = $1 AND application_id = $2`,
      [tenantId, applicationId],
    );
    return keys.map((k) => k.blob_key);
  }

  /** The stored files of a deleted application's attachments (ApplicationsService.delete removed their rows). */
  async deleteBlobs(blobKeys: string[]): Promise<void> {
    for (const k of blobKeys) await this.blobs.delete(k);
  }
}
