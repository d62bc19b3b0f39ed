import { randomBytes } from 'node:crypto';
import { constants as fsConstants, Dirent, Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  assertBlobKey,
  assertBlobPrefix,
  BlobBody,
  BlobExistsError,
  BlobGetOptions,
  BlobInfo,
  BlobKeyConflictError,
  BlobNotFoundError,
  BlobSource,
  BlobStore,
  BlobStoreError,
  BlobStoreUnavailableError,
  isValidBlobKeySegment,
} from './blob-store';

export interface FsBlobStoreConfig {
  /** Absolute directory holding the blobs; the app passes `DATA_DIR/blobs`. Created (0700) on first use. */
  root: string;
}

/** Temp files: `.<final name>.<16 hex>.tmp`. Keys never start with `.`, so these can never be a key. */
const TEMP_FILE = /^\..+\.[0-9a-f]{16}\.tmp$/;

/** Errors that mean "the disk cannot serve us right now" rather than "this key is wrong". */
const UNAVAILABLE_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'ESTALE']);

const errnoCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;

/**
 * Blobs as files under one root directory: key `a/b/c` is the file `root/a/b/c`.
 *
 * - Permissions: directories 0700, files 0600 — only the service account can
 *   read the (encrypted) blobs or learn tenant ids from the directory names.
 * - put: temp file in the target directory → fsync → `link()` to the final name
 *   → unlink temp → fsync directory. `link()` fails with EEXIST instead of
 *   replacing (unlike rename), so "never overwrite" holds atomically even
 *   between API instances sharing the volume; readers never see a partial
 *   file. Needs a filesystem with hard links (ext4, xfs, btrfs, NFS; not some
 *   FUSE/SMB mounts).
 * - Path traversal: every key passes assertBlobKey, and the joined path is
 *   checked to stay under the root. The last path component is opened with
 *   O_NOFOLLOW and the walk ignores symlinks; intermediate directories are not
 *   checked for symlinks (Node has no openat2/RESOLVE_BENEATH) — the root is
 *   0700 and only this service writes there.
 * - Directories emptied by delete are removed (a deleted tenant leaves no
 *   directory named after it); put retries when such a removal races with it.
 * - A crash mid-put can leave a temp file: removeStaleTempFiles() sweeps them.
 */
export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const;
  readonly root: string;

  constructor(config: FsBlobStoreConfig) {
    if (!path.isAbsolute(config.root)) throw new Error(`FsBlobStore root must be an absolute path, got ${JSON.stringify(config.root)}`);
    this.root = path.resolve(config.root);
  }

  async put(key: string, body: BlobBody): Promise<BlobInfo> {
    const source = new BlobSource(body);
    let tempPath: string | undefined;
    let handle: fsp.FileHandle | undefined;
    let finalPath: string | undefined;
    try {
      const target = this.pathOf(key);
      const dir = path.dirname(target);
      // Refuse early, before reading what may be a large body for nothing. The
      // atomic check is link() below.
      await this.refuseExisting(key, target);

      ({ handle, tempPath } = await this.openTemp(dir, path.basename(target), key));
      let size = 0;
      // Chunks are gathered (as views, no copy) and written with one writev per
      // WRITE_BATCH_BYTES: a sealed stream hands over a 5-byte prefix, the
      // ciphertext and a 16-byte tag per record, and one write call each made
      // a backup's store write several times slower (measured).
      let batch: Buffer[] = [];
      let batched = 0;
      for await (const chunk of source.chunks()) {
        if (chunk.length === 0) continue;
        batch.push(chunk);
        batched += chunk.length;
        size += chunk.length;
        if (batched >= WRITE_BATCH_BYTES || batch.length >= MAX_WRITEV_PIECES) {
          await writeAll(handle, batch);
          batch = [];
          batched = 0;
        }
      }
      if (batch.length) await writeAll(handle, batch);
      await handle.sync();
      await handle.close();
      handle = undefined;

      try {
        await fsp.link(tempPath, target);
      } catch (err) {
        if (errnoCode(err) === 'EEXIST') await this.refuseExisting(key, target);
        throw err;
      }
      finalPath = target;
      await fsp.unlink(tempPath);
      tempPath = undefined;
      await fsyncDir(dir);
      return { key, size };
    } catch (err) {
      await this.cleanUpFailedPut(handle, tempPath, finalPath);
      await source.discard();
      if (err === source.sourceError || err instanceof BlobStoreError) throw err;
      throw mapFsError(err, `put ${key}`);
    }
  }

  async get(key: string, options: BlobGetOptions = {}): Promise<NodeJS.ReadableStream> {
    const target = this.pathOf(key);
    let handle: fsp.FileHandle;
    try {
      // O_NOFOLLOW: a symlink planted in the tree is not a blob and is never followed.
      handle = await fsp.open(target, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') throw new BlobNotFoundError(key);
      throw mapFsError(err, `get ${key}`);
    }
    let isFile: boolean;
    try {
      isFile = (await handle.stat()).isFile();
    } catch (err) {
      await handle.close();
      throw mapFsError(err, `get ${key}`);
    }
    if (!isFile) {
      // A directory (other keys live below `key`): there is no blob here.
      await handle.close();
      throw new BlobNotFoundError(key);
    }
    const chunk = options.readChunkBytes;
    return handle.createReadStream(
      chunk && Number.isInteger(chunk) && chunk > 0 ? { highWaterMark: Math.min(chunk, MAX_READ_CHUNK_BYTES) } : undefined,
    );
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    const st = await this.lstat(this.pathOf(key), key);
    return st?.isFile() ? { key, size: st.size } : undefined;
  }

  async delete(key: string): Promise<void> {
    const target = this.pathOf(key);
    const st = await this.lstat(target, key);
    if (!st || st.isDirectory()) return;
    try {
      await fsp.unlink(target);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw mapFsError(err, `delete ${key}`);
    }
    try {
      const dir = path.dirname(target);
      // A concurrent delete may already have pruned the directory (ENOENT): then
      // there is nothing left to make durable or to prune.
      if (await fsyncDir(dir, { missingOk: true })) await this.pruneEmptyDirs(dir);
    } catch (err) {
      throw mapFsError(err, `delete ${key}`);
    }
  }

  async *list(prefix: string): AsyncGenerator<BlobInfo> {
    assertBlobPrefix(prefix);
    // `tenants/t1/at` → walk `root/tenants/t1`, entries starting with `at`.
    const cut = prefix.lastIndexOf('/') + 1;
    const dirKey = prefix.slice(0, cut);
    const dir = path.join(this.root, ...dirKey.split('/').filter((s) => s.length > 0));
    yield* this.walk(dir, dirKey, prefix.slice(cut));
  }

  async ping(): Promise<void> {
    try {
      await fsp.mkdir(this.root, { recursive: true, mode: 0o700 });
      const st = await fsp.stat(this.root);
      if (!st.isDirectory()) throw new Error(`${this.root} is not a directory`);
      // W_OK also reports a read-only mount (EROFS).
      await fsp.access(this.root, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
    } catch (err) {
      throw new BlobStoreUnavailableError(`Blob directory ${this.root} is not usable: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Removes temp files left by puts that never finished (process killed
   * mid-write). A temp file being written has a fresh mtime, so with a
   * threshold far above any upload's idle time this never touches a live put,
   * even one running on another instance sharing the volume. Returns the
   * number of files removed. Meant for a startup or daily job.
   */
  async removeStaleTempFiles(olderThanMs = 24 * 60 * 60 * 1000): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    const visit = async (dir: string): Promise<void> => {
      for (const entry of await readDirOrEmpty(dir)) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory() && isValidBlobKeySegment(entry.name)) {
          await visit(full);
        } else if (entry.isFile() && TEMP_FILE.test(entry.name)) {
          const st = await fsp.lstat(full).catch((err: unknown) => {
            if (errnoCode(err) === 'ENOENT') return undefined; // finished or removed meanwhile
            throw err;
          });
          if (st && st.mtimeMs < cutoff) {
            await fsp.rm(full, { force: true });
            removed++;
          }
        }
      }
    };
    await visit(this.root);
    return removed;
  }

  // -------------------------------------------------------------------------

  /** Validated key → absolute path, never outside the root. */
  private pathOf(key: string): string {
    assertBlobKey(key);
    const full = path.join(this.root, ...key.split('/'));
    // Defence in depth: assertBlobKey already makes this impossible.
    if (!full.startsWith(this.root + path.sep)) throw new Error('blob path escapes the root');
    return full;
  }

  private async lstat(target: string, key: string): Promise<Stats | undefined> {
    try {
      return await fsp.lstat(target);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw mapFsError(err, `stat ${key}`);
    }
  }

  private async refuseExisting(key: string, target: string): Promise<void> {
    const st = await this.lstat(target, key);
    if (!st) return;
    if (st.isDirectory()) throw new BlobKeyConflictError(key);
    throw new BlobExistsError(key);
  }

  /**
   * Creates the directory chain (0700, each new entry fsynced in its parent)
   * and an exclusive temp file (0600) in `dir`. Retries when a concurrent
   * delete removed a directory of the chain in between (ENOENT).
   */
  private async openTemp(dir: string, name: string, key: string): Promise<{ handle: fsp.FileHandle; tempPath: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ensureDir(dir, key);
        const tempPath = path.join(dir, `.${name}.${randomBytes(8).toString('hex')}.tmp`);
        // 'wx' = O_CREAT|O_EXCL: never reuses an existing file, never follows a symlink.
        const handle = await fsp.open(tempPath, 'wx', 0o600);
        return { handle, tempPath };
      } catch (err) {
        if (errnoCode(err) === 'ENOENT' && attempt < 5) continue;
        throw err;
      }
    }
  }

  private async ensureDir(dir: string, key: string): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true, mode: 0o700 });
    const rel = path.relative(this.root, dir);
    if (rel === '') return;
    let current = this.root;
    for (const segment of rel.split(path.sep)) {
      const parent = current;
      current = path.join(current, segment);
      try {
        await fsp.mkdir(current, { mode: 0o700 });
        // A new directory entry is durable only once its parent is fsynced.
        await fsyncDir(parent);
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'ENOTDIR') throw new BlobKeyConflictError(key);
        if (code !== 'EEXIST') throw err;
        // lstat, not stat: a symlink or a blob where a directory should be is a conflict.
        const st = await fsp.lstat(current);
        if (!st.isDirectory()) throw new BlobKeyConflictError(key);
      }
    }
  }

  private async cleanUpFailedPut(
    handle: fsp.FileHandle | undefined,
    tempPath: string | undefined,
    finalPath: string | undefined,
  ): Promise<void> {
    // Best effort, and the original error is the one reported: a failure here
    // (disk gone) cannot be fixed by the caller; removeStaleTempFiles sweeps a
    // temp file left behind.
    const quietly = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        () => undefined,
      );
    if (handle) await quietly(handle.close());
    if (tempPath) await quietly(fsp.unlink(tempPath));
    // Only reached when link() succeeded, so the final file is ours.
    if (finalPath) await quietly(fsp.unlink(finalPath));
  }

  /** Removes now-empty directories from `dir` up to (not including) the root. */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.root + path.sep)) {
      try {
        await fsp.rmdir(current);
      } catch (err) {
        const code = errnoCode(err);
        // Not empty (other blobs, or a put just created something): stop here.
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT' || code === 'EBUSY') return;
        throw err;
      }
      current = path.dirname(current);
      if (!(await fsyncDir(current, { missingOk: true }))) return;
    }
  }

  /** Depth-first, one directory read at a time, entries in byte order of the resulting keys. */
  private async *walk(dir: string, keyPrefix: string, namePrefix: string): AsyncGenerator<BlobInfo> {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw mapFsError(err, `list ${keyPrefix}`);
    }
    // Skips temp files (start with '.'), foreign names, symlinks and special files.
    const items = entries
      .filter((e) => (e.isFile() || e.isDirectory()) && isValidBlobKeySegment(e.name) && e.name.startsWith(namePrefix))
      .map((e) => ({ name: e.name, isDir: e.isDirectory(), order: e.isDirectory() ? `${e.name}/` : e.name }))
      .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    for (const item of items) {
      const key = keyPrefix + item.name;
      if (item.isDir) {
        yield* this.walk(path.join(dir, item.name), `${key}/`, '');
      } else {
        const st = await this.lstat(path.join(dir, item.name), key);
        if (st?.isFile()) yield { key, size: st.size };
      }
    }
  }
}

/** Bytes gathered before one writev (the pieces are views of the caller's buffers: no copy). */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** Below IOV_MAX (1024 on Linux): a stream of tiny chunks is written before it grows past one writev. */
const MAX_WRITEV_PIECES = 512;
/** Upper bound of a reader's chunk (readChunkBytes). */
const MAX_READ_CHUNK_BYTES = 8 * 1024 * 1024;

/** Writes all of `pieces` in order, continuing after short writes. */
async function writeAll(handle: fsp.FileHandle, pieces: Buffer[]): Promise<void> {
  let rest = pieces;
  while (rest.length) {
    const { bytesWritten } = rest.length === 1 ? await handle.write(rest[0], 0, rest[0].length) : await handle.writev(rest);
    let skip = bytesWritten;
    let i = 0;
    while (i < rest.length && skip >= rest[i].length) skip -= rest[i++].length;
    rest = rest.slice(i);
    if (skip > 0) rest[0] = rest[0].subarray(skip);
  }
}

/** fsync of a directory makes its entries (created, linked, removed) durable. False when `missingOk` and it is gone. */
async function fsyncDir(dir: string, opts: { missingOk?: boolean } = {}): Promise<boolean> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  } catch (err) {
    if (opts.missingOk && errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function readDirOrEmpty(dir: string): Promise<Dirent[]> {
  try {
    return await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

function mapFsError(err: unknown, what: string): unknown {
  if (err instanceof BlobStoreError) return err;
  const code = errnoCode(err);
  if (code && UNAVAILABLE_CODES.has(code)) {
    return new BlobStoreUnavailableError(`Blob storage failed (${what}): ${code}`, { cause: err });
  }
  return err;
}
