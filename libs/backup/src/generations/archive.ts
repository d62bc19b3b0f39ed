import { createHash, Hash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable, Transform, TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/**
 * The archive inside a sealed generation: a tar with
 *
 *   header.json                   {type, version, generationId, tenantId, schemaVersion, tables: [{name, columns}]}
 *   blobs/<store key>             the tenant's blobs as stored (already sealed by their own purpose)
 *   rows/<table>/000001.copy.gz … COPY text output of the tenant's rows, cut into ≤ 1 MiB pieces (readers take ≤ 8 MiB), each gzip-compressed
 *   end.json                      {counts, blobBytes}: a tar cut short before it is incomplete
 *
 * What is compressed is the rows: blobs are sealed already (random bytes), so
 * gzip would spend CPU on them for nothing (measured: a whole-archive gzip
 * made a backup several times slower than pg_dump + tar). Each row piece is
 * compressed on its own in the zlib thread pool, in parallel with sealing.
 *
 * Blobs come before rows so that a restore can put them into the blob store
 * before it replaces the rows (one pass after verification). tar needs each
 * entry's size up front: COPY output is cut into fixed-size chunks and blobs
 * have their stored size, so no entry is ever held whole in memory beyond one
 * chunk, whatever the tenant's size. COPY text format escapes newlines inside
 * values, so one `\n` byte is one row: counting rows needs no parsing.
 */
/** The largest row piece a reader accepts (compressed and uncompressed); archives written before 2026-12 use it. */
export const ARCHIVE_CHUNK_BYTES = 8 * 1024 * 1024;
/**
 * The size of the row pieces written now: 1 MiB instead of 8 keeps two pieces
 * in flight (one being compressed, one read from COPY) at a few MiB, which was
 * most of a backup's RSS growth (measured), at the same compression ratio.
 */
export const ARCHIVE_ROW_PIECE_BYTES = 1024 * 1024;
export const ARCHIVE_PURPOSE = 'backup.archive';
/** Read size of the sealed archive when it is verified, restored or copied (FsBlobStore's default is 64 KiB). */
export const ARCHIVE_IO_CHUNK_BYTES = 1024 * 1024;
/**
 * gzip of the row pieces: COPY text of sealed values is mostly hex (16
 * symbols), so Huffman coding alone halves it, at a third of the CPU of
 * level 1 with string matching (measured on such rows: same ratio, 3× faster).
 */
const GZIP_OPTIONS: zlib.ZlibOptions = { level: 1, strategy: zlib.constants.Z_HUFFMAN_ONLY };
/** Bounded buffers between the stages (memory stays flat: a few MiB whatever the size). */
const IO_BUFFER_BYTES = 1024 * 1024;
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

export interface ArchiveHeader {
  type: 'charlotte-backup-archive';
  version: 1;
  generationId: string;
  tenantId: string;
  schemaVersion: string;
  tables: Array<{ name: string; columns: string[] }>;
}

export interface ArchiveEnd {
  counts: Record<string, number>;
  blobBytes: number;
}

const NL = 0x0a;

export function countNewlines(buf: Buffer): number {
  let n = 0;
  let i = buf.indexOf(NL);
  while (i !== -1) {
    n++;
    i = buf.indexOf(NL, i + 1);
  }
  return n;
}

/** sha256 and byte count of what passes through, and its first bytes (the sealed header names the key version). */
export class DigestTap extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  head = Buffer.alloc(0);

  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.head.length < 64) this.head = Buffer.concat([this.head, chunk.subarray(0, 64 - this.head.length)]);
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Writes entries into a tar pack with backpressure: each write waits until
 * the consumer (gzip → seal → store) has taken the bytes.
 */
export class ArchiveWriter {
  readonly pack = tar.pack();
  private failure: Error | undefined;
  private readonly failed: Promise<never>;

  constructor() {
    this.failed = new Promise<never>((_, reject) => {
      this.pack.on('error', (e: Error) => {
        this.failure = e;
        reject(e);
      });
      this.pack.on('close', () => {
        if (!this.failure) reject(new Error('archive stream closed early'));
      });
    });
    this.failed.catch(() => undefined);
  }

  /**
   * The tar bytes (the caller seals and stores them), through a 1 MiB buffer
   * so that the tar side and the sealing side overlap instead of taking turns.
   */
  output(): Readable {
    const buffered = new PassThrough({ highWaterMark: IO_BUFFER_BYTES });
    void pipeline(Readable.from(this.pack), buffered).catch((e: unknown) => buffered.destroy(e as Error));
    return buffered;
  }

  /** A blob entry: the store's stream read ahead into a bounded buffer while the archive side takes it. */
  async blob(name: string, size: number, body: NodeJS.ReadableStream): Promise<void> {
    const ahead = new PassThrough({ highWaterMark: READ_AHEAD_BYTES });
    const feeding = pipeline(body, ahead);
    feeding.catch(() => undefined);
    await this.write(name, size, ahead);
    await feeding;
  }

  async entry(name: string, body: Buffer): Promise<void> {
    await this.write(name, body.length, [body]);
  }

  async write(name: string, size: number, chunks: AsyncIterable<Buffer> | Buffer[]): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      const sink = this.pack.entry({ name, size, mode: 0o600, mtime: new Date(0) }, (err?: Error | null) =>
        err ? reject(err) : resolve(),
      );
      void (async () => {
        for await (const c of chunks) {
          if (!sink.write(c)) await Promise.race([once(sink, 'drain'), this.failed]);
        }
        (sink as unknown as { end(): void }).end();
      })().catch((e: unknown) => {
        sink.destroy(e as Error);
        reject(e as Error);
      });
    });
    await Promise.race([done, this.failed]);
  }

  /**
   * One table's COPY output as `rows/<table>/NNNNNN.copy` entries of at most
   * ARCHIVE_ROW_PIECE_BYTES; returns the number of rows (newlines).
   */
  async copyRows(table: string, copy: AsyncIterable<Buffer>): Promise<number> {
    let rows = 0;
    let part = 0;
    let parts: Buffer[] = [];
    let held = 0;
    // One piece is compressed (zlib thread pool) and written while the next is read from COPY: at most two in memory.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async (n: number) => {
      const all = parts.length === 1 ? parts[0] : Buffer.concat(parts, held);
      const out = all.subarray(0, n);
      const rest = all.subarray(n);
      parts = rest.length ? [Buffer.from(rest)] : [];
      held = rest.length;
      part++;
      const name = `rows/${table}/${String(part).padStart(6, '0')}.copy.gz`;
      await inFlight;
      const compressed = gzip(out, GZIP_OPTIONS);
      inFlight = compressed.then((z) => this.entry(name, z));
      inFlight.catch(() => undefined);
    };
    for await (const c of copy) {
      rows += countNewlines(c);
      parts.push(c);
      held += c.length;
      while (held >= ARCHIVE_ROW_PIECE_BYTES) await flush(ARCHIVE_ROW_PIECE_BYTES);
    }
    if (held > 0) await flush(held);
    await inFlight;
    return rows;
  }

  finalize(): void {
    this.pack.finalize();
  }

  destroy(e: Error): void {
    this.pack.destroy(e);
  }
}

export interface ArchiveHandlers {
  header?(h: ArchiveHeader): Promise<void> | void;
  /** A blob entry; the handler must consume `body` entirely. */
  blob?(key: string, size: number, body: Readable): Promise<void>;
  /** A piece (≤ ARCHIVE_CHUNK_BYTES) of a table's COPY text output, in order. */
  rows?(table: string, piece: Buffer): Promise<void>;
}

export interface ArchiveRead {
  header: ArchiveHeader;
  end: ArchiveEnd;
  counts: Record<string, number>;
  blobBytes: number;
  sha256: string;
  size: number;
}

export class ArchiveFormatError extends Error {}

async function readAll(s: Readable, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of s) {
    n += (c as Buffer).length;
    if (n > limit) throw new ArchiveFormatError('an archive metadata entry is too large');
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

async function drain(s: Readable): Promise<void> {
  for await (const _ of s) void _;
}

/**
 * Reads a sealed archive end to end: sha256 and size of the sealed bytes,
 * decryption (`open` is SealingService.openStream: tampering or truncation
 * fails it), gunzip, tar parse, rows counted per table, blobs counted and
 * measured. Handlers see the entries as they come (restore uses them).
 * Throws the first error of any stage.
 */
export async function readArchive(sealed: NodeJS.ReadableStream, open: Transform, handlers: ArchiveHandlers = {}): Promise<ArchiveRead> {
  const tap = new DigestTap();
  const extract = tar.extract();
  // The first error of a stage is the one reported (the tar side then only sees "premature close").
  let stageError: unknown;
  for (const s of [sealed as unknown as NodeJS.EventEmitter, tap, open])
    s.on('error', (e: unknown) => {
      stageError ??= e;
    });
  const piped = pipeline(
    sealed,
    new PassThrough({ highWaterMark: READ_AHEAD_BYTES }),
    tap,
    open,
    extract as unknown as NodeJS.WritableStream,
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  let header: ArchiveHeader | undefined;
  let end: ArchiveEnd | undefined;
  const counts: Record<string, number> = {};
  let blobs = 0;
  let blobBytes = 0;
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      const body = entry as unknown as Readable;
      if (end) throw new ArchiveFormatError('entries after the end of the archive');
      if (name === 'header.json') {
        header = JSON.parse((await readAll(body, 16 * 1024 * 1024)).toString('utf8')) as ArchiveHeader;
        if (header.type !== 'charlotte-backup-archive' || header.version !== 1) throw new ArchiveFormatError('not a backup archive');
        for (const t of header.tables) counts[t.name] = 0;
        await handlers.header?.(header);
      } else if (!header) {
        throw new ArchiveFormatError('the archive does not start with its header');
      } else if (name.startsWith('blobs/')) {
        blobs++;
        blobBytes += entry.header.size ?? 0;
        if (handlers.blob) await handlers.blob(name.slice('blobs/'.length), entry.header.size ?? 0, body);
        else await drain(body);
      } else if (name.startsWith('rows/') && name.endsWith('.copy.gz')) {
        const table = name.split('/')[1];
        if (!(table in counts)) throw new ArchiveFormatError(`rows of a table the header does not list`);
        // A piece is at most ARCHIVE_CHUNK_BYTES compressed and uncompressed: read it whole (memory stays flat).
        const piece = await gunzip(await readAll(body, ARCHIVE_CHUNK_BYTES + 1024 * 1024), { maxOutputLength: ARCHIVE_CHUNK_BYTES });
        counts[table] += countNewlines(piece);
        if (handlers.rows) await handlers.rows(table, piece);
      } else if (name === 'end.json') {
        end = JSON.parse((await readAll(body, 16 * 1024 * 1024)).toString('utf8')) as ArchiveEnd;
      } else {
        throw new ArchiveFormatError('an unknown entry in the archive');
      }
    }
    const err = await piped;
    if (err) throw err;
  } catch (e) {
    const cause = stageError ?? e;
    extract.destroy();
    await piped;
    throw cause;
  }
  if (!header || !end) throw new ArchiveFormatError('the archive is incomplete (no header or end)');
  counts.blobs = blobs;
  return { header, end, counts, blobBytes, sha256: tap.digest(), size: tap.bytes };
}
