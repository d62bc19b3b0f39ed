import busboy from 'busboy';
import type { Request } from 'express';
import { SigningErrors } from './signing-errors';

export interface SmallUpload {
  file: Buffer;
  fileName: string;
  fields: Record<string, string>;
}

/**
 * Reads a small multipart/form-data body whole: one file in the field `file` (at most `maxBytes`) and
 * the named text fields. The files here (a .p12 of a few KiB, a 提出代行証明書 PDF) are bounded and
 * needed whole (PKCS#12 is decoded in memory), so buffering them is both necessary and safe.
 * A file over the limit is refused, never cut; busboy's own limits stop a body that tries more parts.
 */
export function readSmallUpload(req: Request, maxBytes: number, fieldNames: readonly string[]): Promise<SmallUpload> {
  if (!req.is('multipart/form-data')) {
    req.resume();
    return Promise.reject(SigningErrors.badUpload('file', 'send the file as multipart/form-data in the field "file"'));
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes + 16 * 1024) {
    req.resume();
    return Promise.reject(SigningErrors.tooLarge(maxBytes));
  }
  return new Promise<SmallUpload>((resolve, reject) => {
    let bb: ReturnType<typeof busboy>;
    try {
      bb = busboy({
        headers: req.headers,
        // One spare part and field beyond what is expected: busboy reports the limit on reaching it, and the
        // unknown-field check below names an extra field precisely.
        limits: { files: 1, fileSize: maxBytes, fields: fieldNames.length + 1, fieldSize: 1024, parts: fieldNames.length + 2 },
        defParamCharset: 'utf8',
      });
    } catch {
      // A malformed Content-Type (no boundary) is the client's mistake: 400, not 500.
      req.resume();
      reject(SigningErrors.badUpload('file', 'malformed multipart body'));
      return;
    }
    const fields: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let fileName: string | undefined;
    let failed: Error | undefined;
    const fail = (e: Error) => {
      failed ??= e;
    };
    bb.on('field', (name, value, info) => {
      if (!fieldNames.includes(name)) return fail(SigningErrors.badUpload(name, 'unknown field'));
      if (info.valueTruncated) return fail(SigningErrors.badUpload(name, 'too long'));
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (name !== 'file' || fileName !== undefined) {
        stream.on('error', () => undefined); // its error is the body's, reported once through `bb`
        stream.resume();
        return fail(SigningErrors.badUpload(name, 'one file is expected, in the field "file"'));
      }
      fileName = info.filename ?? 'file';
      // A body cut inside the file ("Unexpected end of form") errors this stream: without a listener
      // that would be an unhandled 'error' event, i.e. a crash (found by the OpenAPI fuzz test).
      stream.on('error', () => fail(SigningErrors.badUpload('file', 'malformed multipart body')));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(SigningErrors.tooLarge(maxBytes)));
    });
    bb.on('filesLimit', () => fail(SigningErrors.badUpload('file', 'one file is expected')));
    bb.on('fieldsLimit', () => fail(SigningErrors.badUpload('fields', 'too many fields')));
    bb.on('partsLimit', () => fail(SigningErrors.badUpload('fields', 'too many parts')));
    bb.on('error', () => {
      req.unpipe(bb);
      req.resume();
      reject(SigningErrors.badUpload('file', 'malformed multipart body'));
    });
    bb.on('close', () => {
      if (failed) return reject(failed);
      if (fileName === undefined) return reject(SigningErrors.badUpload('file', 'no file in the field "file"'));
      resolve({ file: Buffer.concat(chunks), fileName, fields });
    });
    req.pipe(bb);
  });
}
