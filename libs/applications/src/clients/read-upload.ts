import busboy from 'busboy';
import type { Request } from 'express';
import { ApplicationsErrors } from '../errors';

/**
 * The one file of a multipart/form-data body (field `file`), in memory, at most `max` bytes
 * (413 payload_too_large beyond; 400 validation_failed when there is no such file). For small
 * uploads only (the CSV import): attachments stream instead.
 */
export function readUpload(req: Request, max: number): Promise<Buffer> {
  if (!req.is('multipart/form-data')) {
    req.resume();
    return Promise.reject(ApplicationsErrors.badUpload('send the file as multipart/form-data in the field "file"'));
  }
  if (Number(req.headers['content-length'] ?? 0) > max + 64 * 1024) {
    req.resume();
    return Promise.reject(ApplicationsErrors.payloadTooLarge(max));
  }
  return new Promise<Buffer>((resolve, reject) => {
    let bb: ReturnType<typeof busboy>;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: max, fields: 0, parts: 2 } });
    } catch (e) {
      // A malformed Content-Type (no boundary) is the client's mistake: 400, not 500.
      req.resume();
      reject(e instanceof Error ? ApplicationsErrors.badUpload('malformed multipart body') : e);
      return;
    }
    let result: Buffer | undefined;
    let failed: unknown;
    bb.on('file', (field, file) => {
      if (field !== 'file' || result !== undefined) {
        file.resume();
        return;
      }
      const chunks: Buffer[] = [];
      file.on('data', (c: Buffer) => chunks.push(c));
      // A body cut short ("Unexpected end of form") errors the file stream too: a 400, never an unhandled error.
      file.on('error', (e: Error) => {
        failed ??= ApplicationsErrors.badUpload(e.message);
      });
      file.on('limit', () => {
        failed = ApplicationsErrors.payloadTooLarge(max);
      });
      file.on('end', () => {
        result = Buffer.concat(chunks);
      });
    });
    bb.on('error', (e) => reject(e instanceof Error ? ApplicationsErrors.badUpload(e.message) : e));
    bb.on('close', () => {
      if (failed) reject(failed);
      else if (result === undefined) reject(ApplicationsErrors.badUpload('no file in the field "file"'));
      else resolve(result);
    });
    req.pipe(bb);
  });
}
