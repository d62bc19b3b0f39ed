import { Readable } from 'node:stream';
import { chunksOf } from '../scanning/chunks';

/**
 * The BlobStore port (architecture.md, "Runtime: blobs"): attachments, official
 * documents and backup archives. Blobs are already-encrypted bytes (sealed
 * streams from @charlotte/crypto): the store never sees plaintext, so it adds no
 * encryption of its own. Written once, read many times, deleted on request.
 *
 * Two implementations: FsBlobStore (default, a directory under DATA_DIR) and
 * S3BlobStore (S3-compatible object storage, for scale-out).
 */

/** What a stored blob is: its key and its size in bytes. */
export interface BlobInfo {
  key: string;
  size: number;
}

/** A blob body: a Node stream (in binary mode) or any async iterable of Buffers. */
export type BlobBody = NodeJS.ReadableStream | AsyncIterable<Buffer>;

export interface BlobGetOptions {
  /** Bytes per read (a hint; backends that cannot choose ignore it). */
  readChunkBytes?: number;
}

export interface BlobStore {
  readonly kind: 'fs' | 's3';
  /**
   * Streams `body` to `key`; resolves only when the blob is durably stored
   * (fsync of file and directory / S3 upload completed). Never overwrites: an
   * existing key → BlobExistsError (checked before the body is read, and again
   * atomically at the final step where the backend can). On any error nothing
   * is left under `key`, the error of the source stream is rethrown unchanged,
   * and `body` is destroyed (stream) or closed (iterator), so a request it
   * comes from is not left hanging.
   *
   * Keys are a flat namespace on S3 but paths on the filesystem: never use a
   * key as a "directory" of another (`a/b` and `a/b/c`); FsBlobStore refuses it
   * with BlobKeyConflictError.
   */
  put(key: string, body: BlobBody): Promise<BlobInfo>;
  /**
   * The blob's bytes; BlobNotFoundError when missing (raised by this call, not by the stream).
   * `readChunkBytes` asks for reads of about that size where the backend controls it (FsBlobStore:
   * the file stream's highWaterMark, default 64 KiB); bulk readers (backups) pass 1 MiB.
   */
  get(key: string, options?: BlobGetOptions): Promise<NodeJS.ReadableStream>;
  /** Size of the blob, or undefined when missing. */
  stat(key: string): Promise<BlobInfo | undefined>;
  /** Removes the blob; deleting a missing key succeeds (idempotent). */
  delete(key: string): Promise<void>;
  /**
   * Lists blobs whose key starts with `prefix` (a plain string prefix, as in
   * S3: `tenants/t1` also matches `tenants/t10/…`; end it with `/` to stay in
   * one "folder"). `''` lists everything. For backups and tenant deletion.
   * Order is not part of the contract (FsBlobStore and S3 both yield byte order).
   */
  list(prefix: string): AsyncIterable<BlobInfo>;
  /** Throws BlobStoreUnavailableError when the store cannot be used; for /health/ready. */
  ping(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

export type BlobErrorCode = 'blob_not_found' | 'blob_exists' | 'blob_key_invalid' | 'blob_key_conflict' | 'blob_store_unavailable';

/**
 * Failures of a BlobStore. Keys are chosen by our services, never by clients,
 * so every one of these is a server-side fault (a dangling reference, a
 * duplicate id, a bug, storage down): they deliberately do not extend core's
 * DomainError and become 500 `internal_error` in the problem filter. A service
 * that knows better (e.g. an attachment row whose blob is gone) maps them
 * itself. `code` is stable so callers can branch without parsing messages.
 */
export abstract class BlobStoreError extends Error {
  abstract readonly code: BlobErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BlobNotFoundError extends BlobStoreError {
  readonly code = 'blob_not_found' as const;

  constructor(readonly key: string) {
    super(`No blob under ${JSON.stringify(key)}.`);
  }
}

/** The key is taken: blobs are written once; a second put never replaces the first. */
export class BlobExistsError extends BlobStoreError {
  readonly code = 'blob_exists' as const;

  constructor(
    readonly key: string,
    detail = 'A blob already exists under this key.',
  ) {
    super(`${detail} (${JSON.stringify(key)})`);
  }
}

/** The key (or list prefix) breaks the key rules of assertBlobKey. A programming error. */
export class InvalidBlobKeyError extends BlobStoreError {
  readonly code = 'blob_key_invalid' as const;

  constructor(reason: string) {
    super(`Invalid blob key: ${reason}.`);
  }
}

/**
 * Filesystem store only: the key needs a directory where a blob is stored, or
 * names a directory that holds other blobs (`a/b` vs `a/b/c`).
 */
export class BlobKeyConflictError extends BlobStoreError {
  readonly code = 'blob_key_conflict' as const;

  constructor(readonly key: string) {
    super(`Blob key ${JSON.stringify(key)} conflicts with another key's path (a key cannot also be a "directory" of other keys).`);
  }
}

/** The store cannot be reached or used: network, credentials, missing bucket, full or read-only disk. Retrying may help. */
export class BlobStoreUnavailableError extends BlobStoreError {
  readonly code = 'blob_store_unavailable' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isBlobStoreError(e: unknown): e is BlobStoreError {
  return e instanceof BlobStoreError;
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/** S3 allows 1024 bytes; 512 leaves room and keeps filesystem paths short. */
export const MAX_BLOB_KEY_LENGTH = 512;
/** ext4/xfs allow 255 bytes per name; the filesystem store's temp names add 23 characters. */
export const MAX_BLOB_KEY_SEGMENT_LENGTH = 128;

/**
 * One path segment. Security: only `[A-Za-z0-9._-]`, so no separator, NUL,
 * backslash, `%`-encoding or Unicode look-alike can smuggle a path step. The
 * first character may not be `.`: that rules out `.` and `..` by construction
 * (path traversal), hidden files, and names of the filesystem store's temp
 * files (`.<name>.<random>.tmp`), which therefore can never collide with a key.
 */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return 'not a string';
  if (key.length === 0) return 'empty';
  if (key.length > MAX_BLOB_KEY_LENGTH) return `longer than ${MAX_BLOB_KEY_LENGTH} characters`;
  if (key.startsWith('/')) return 'leading "/"';
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment.length === 0) return 'empty segment ("//" or trailing "/")';
    if (segment.length > MAX_BLOB_KEY_SEGMENT_LENGTH) return `segment longer than ${MAX_BLOB_KEY_SEGMENT_LENGTH} characters`;
    if (!SEGMENT.test(segment)) return 'segments are [A-Za-z0-9._-] and do not start with "."';
  }
  return undefined;
}

/**
 * Refuses anything but `seg(/seg)*` with segments of `[A-Za-z0-9._-]` not
 * starting with `.`, at most 512 characters: no `..`/`.` segments, no leading
 * `/`, no empty segment. Both stores call it on every operation, so a key can
 * never address a file outside the store's root (filesystem) or an unexpected
 * object (S3), whatever a caller builds it from.
 */
export function assertBlobKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new InvalidBlobKeyError(problem);
}

export function isValidBlobKey(key: string): boolean {
  return keyProblem(key) === undefined;
}

/** True for a single valid key segment (used by the filesystem walk to skip foreign and temp files). */
export function isValidBlobKeySegment(name: string): boolean {
  return name.length <= MAX_BLOB_KEY_SEGMENT_LENGTH && SEGMENT.test(name);
}

/**
 * A list prefix: `''`, a valid key, or a valid key followed by `/`. (A prefix
 * ending inside a segment, like `tenants/t1`, is a valid key itself.)
 */
export function assertBlobPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new InvalidBlobKeyError('prefix is not a string');
  if (prefix === '') return;
  const problem = keyProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  if (problem) throw new InvalidBlobKeyError(`prefix: ${problem}`);
}

// ---------------------------------------------------------------------------
// Body handling shared by the implementations
// ---------------------------------------------------------------------------

/**
 * Reads a BlobBody as Buffers and remembers whether a failure came from the
 * source itself, so the stores rethrow the caller's error unchanged instead of
 * dressing it up as a storage failure.
 */
export class BlobSource {
  /** The error the source threw, if it did. */
  sourceError: unknown = undefined;
  private started = false;

  constructor(private readonly body: BlobBody) {
    // A stream that fails before put() starts reading it (put awaits the target
    // check and the temp file first) would emit 'error' with no listener, an
    // uncaught exception. Record it here; reading the destroyed stream then
    // rethrows the same error and put() rejects with it as usual.
    const emitter = body as { on?: (event: string, fn: (err: unknown) => void) => unknown };
    if (typeof emitter.on === 'function')
      emitter.on('error', (err) => {
        if (this.sourceError === undefined) this.sourceError = err;
      });
  }

  async *chunks(): AsyncGenerator<Buffer> {
    this.started = true;
    // A Readable through chunksOf: its chunks as pushed (a sealed stream's record pieces), never joined into copies.
    const iterator = this.body instanceof Readable ? chunksOf(this.body) : (this.body as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    try {
      for (;;) {
        let step: IteratorResult<unknown>;
        try {
          step = await iterator.next();
        } catch (err) {
          this.sourceError = err;
          throw err;
        }
        if (step.done) return;
        const chunk = step.value;
        if (Buffer.isBuffer(chunk)) yield chunk;
        else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        else {
          // A string chunk means setEncoding() was called: its bytes would not be the ciphertext.
          throw new TypeError('Blob bodies are bytes: got a non-binary chunk (was setEncoding() called on the stream?).');
        }
      }
    } finally {
      // Early exit (our error, not the source's): stop the source. For a Readable,
      // return() destroys it; for a generator it runs its finally blocks.
      if (this.sourceError === undefined) await closeIterator(iterator);
    }
  }

  /** Destroys/closes the body when put fails before or without reading it all. */
  async discard(): Promise<void> {
    const body = this.body as { destroy?: (err?: Error) => void };
    if (typeof body.destroy === 'function') {
      body.destroy();
    } else if (!this.started) {
      await closeIterator((this.body as AsyncIterable<unknown>)[Symbol.asyncIterator]());
    }
  }
}

async function closeIterator(iterator: AsyncIterator<unknown>): Promise<void> {
  if (typeof iterator.return === 'function') {
    // The source is being abandoned because of another error, which is the one
    // reported; a failure while closing it adds nothing the caller can act on.
    await Promise.resolve(iterator.return()).then(
      () => undefined,
      () => undefined,
    );
  }
}
