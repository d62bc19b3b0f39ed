import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { KeyIntegrityError, KeyUnavailableError } from './errors';
import { DEK_BYTES, KeyProvider, WrappedKey } from './key-provider';
import {
  checkWrapArgs,
  decodeWrapped,
  encodeWrapped,
  FORMAT_LOCAL_GCM,
  isKekVersion,
  IV_BYTES,
  kekAad,
  SerialQueue,
  TAG_BYTES,
} from './wrap-format';

const KEK_BYTES = 32;
const FILE_FORMAT = 'charlotte-master-key/1';
const LOCK_WAIT_MS = 5000;

export interface LocalKeyProviderOptions {
  /** The master key file. Default: `${dataDir}/keys/master.json`. */
  file?: string;
  /** Used when `file` is not given. */
  dataDir?: string;
  /**
   * The service's Ed25519 signing key (audit checkpoints): a PKCS#8 PEM file,
   * created with 0600 on first start when missing. Without it the provider
   * cannot sign.
   */
  signingKeyFile?: string;
}

/** On disk (mode 0600, directory 0700). Keys are base64 of 32 random bytes. */
interface MasterKeyFile {
  format: typeof FILE_FORMAT;
  current: number;
  keks: { version: number; key: string; createdAt: string }[];
}

/**
 * KEKs in a master key file outside the database, the embedded default. The
 * file is the only copy of the KEKs: whoever has a database dump but not this
 * file cannot unwrap any DEK, and losing it loses every tenant's data, so it
 * gets its own backup (architecture.md, "Encryption at rest").
 *
 * Wrapping is hand-written on node:crypto's AES-256-GCM rather than taken from
 * a JOSE/KMS library: it is one AEAD call with a 61-byte format documented in
 * wrap-format.ts, shared with the PKCS#11 provider, and has no dependency to
 * audit. AES key wrap (RFC 3394/5649) is not used because it takes no
 * associated data, and the binding to tenant and DEK version is the point.
 */
export class LocalKeyProvider implements KeyProvider {
  readonly kind = 'local' as const;
  readonly file: string;
  private keks = new Map<number, Buffer>();
  private createdAt = new Map<number, string>();
  private current = 0;
  private state: 'new' | 'open' | 'closed' = 'new';
  private readonly queue = new SerialQueue();
  private readonly signingKeyFile?: string;
  private signingKey?: KeyObject;

  constructor(options: LocalKeyProviderOptions) {
    this.signingKeyFile = options.signingKeyFile ? path.resolve(options.signingKeyFile) : undefined;
    if (options.file) this.file = path.resolve(options.file);
    else if (options.dataDir) this.file = path.resolve(options.dataDir, 'keys', 'master.json');
    else throw new TypeError('LocalKeyProvider needs a master key file or a data directory');
  }

  async init(): Promise<void> {
    await this.queue.run(async () => {
      if (this.state === 'closed') throw new KeyUnavailableError('the key provider is closed');
      // 0700: the directory lists key files; nobody but the service user needs to see it.
      await fsp.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      if (!(await exists(this.file))) await this.createFirst();
      await this.load();
      if (this.signingKeyFile) this.signingKey = await loadOrCreateEd25519(this.signingKeyFile);
      this.state = 'open';
    });
  }

  currentKekVersion(): number {
    this.assertOpen();
    return this.current;
  }

  async wrap(dek: Buffer, aad: Buffer): Promise<WrappedKey> {
    this.assertOpen();
    checkWrapArgs(dek, aad);
    const kekVersion = this.current;
    const kek = this.keks.get(kekVersion)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(kekAad(FORMAT_LOCAL_GCM, kekVersion, aad));
    const ciphertext = Buffer.concat([cipher.update(dek), cipher.final()]);
    return { kekVersion, wrapped: encodeWrapped(FORMAT_LOCAL_GCM, iv, Buffer.concat([ciphertext, cipher.getAuthTag()])) };
  }

  async unwrap(w: WrappedKey, aad: Buffer): Promise<Buffer> {
    this.assertOpen();
    if (!Buffer.isBuffer(aad) || aad.length === 0) throw new TypeError('aad must bind the DEK to its tenant and version');
    if (!isKekVersion(w.kekVersion)) throw new KeyIntegrityError('wrapped key names an invalid KEK version');
    const { iv, ciphertext, tag } = decodeWrapped(FORMAT_LOCAL_GCM, w.wrapped);
    const kek = await this.kekFor(w.kekVersion);
    const decipher = createDecipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(kekAad(FORMAT_LOCAL_GCM, w.kekVersion, aad));
    decipher.setAuthTag(tag);
    try {
      const dek = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      if (dek.length !== DEK_BYTES) throw new KeyIntegrityError('unwrapped key has the wrong length');
      return dek;
    } catch (e) {
      if (e instanceof KeyIntegrityError) throw e;
      // GCM tag mismatch: wrong aad (other tenant/version), tampered bytes or another master file.
      throw new KeyIntegrityError('wrapped key failed authentication', { cause: e });
    }
  }

  async rotateKek(): Promise<number> {
    this.assertOpen();
    return this.queue.run(() =>
      this.withLock(async () => {
        // Re-read under the lock: another process may have rotated since we loaded.
        await this.load();
        const file = this.snapshot();
        const version = Math.max(...file.keks.map((k) => k.version)) + 1;
        file.keks.push({ version, key: randomBytes(KEK_BYTES).toString('base64'), createdAt: new Date().toISOString() });
        file.current = version;
        await this.replaceFile(file);
        await this.load();
        return version;
      }),
    );
  }

  async signEd25519(message: Buffer): Promise<Buffer> {
    this.assertOpen();
    if (!this.signingKey) throw new KeyUnavailableError('this provider has no signing key');
    return sign(null, message, this.signingKey);
  }

  ed25519PublicKeyRaw(): Buffer {
    this.assertOpen();
    if (!this.signingKey) throw new KeyUnavailableError('this provider has no signing key');
    return Buffer.from((createPublicKey(this.signingKey).export({ format: 'jwk' }) as { x: string }).x, 'base64url');
  }

  async close(): Promise<void> {
    await this.queue.run(() => {
      this.wipe();
      this.state = 'closed';
    });
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new KeyUnavailableError(`the key provider is ${this.state === 'new' ? 'not initialised' : 'closed'}`);
  }

  /** A version we do not know may have been added by another process's rotation: re-read once. */
  private async kekFor(version: number): Promise<Buffer> {
    let kek = this.keks.get(version);
    if (!kek) {
      await this.queue.run(() => this.load());
      kek = this.keks.get(version);
    }
    if (!kek) throw new KeyUnavailableError(`KEK version ${version} is not in the master key file`);
    return kek;
  }

  private async createFirst(): Promise<void> {
    const content: MasterKeyFile = {
      format: FILE_FORMAT,
      current: 1,
      keks: [{ version: 1, key: randomBytes(KEK_BYTES).toString('base64'), createdAt: new Date().toISOString() }],
    };
    const tmp = await this.writeTemp(content);
    try {
      // link() publishes the complete file atomically and fails with EEXIST
      // instead of overwriting: if two processes start at once, the first
      // file wins and both use it. Overwriting would orphan every DEK already
      // wrapped with the loser's KEK.
      await fsp.link(tmp, this.file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw this.unavailable('cannot create', e);
      // File systems without hard links: exclusive create, still never overwriting.
      await this.writeExclusive(this.file, content);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    await syncDir(path.dirname(this.file));
  }

  /** Atomic replacement: a reader sees the old or the new file, never half of one. */
  private async replaceFile(content: MasterKeyFile): Promise<void> {
    const tmp = await this.writeTemp(content);
    try {
      await fsp.rename(tmp, this.file);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw this.unavailable('cannot replace', e);
    }
    await syncDir(path.dirname(this.file));
  }

  private async writeTemp(content: MasterKeyFile): Promise<string> {
    const tmp = `${this.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await this.writeExclusive(tmp, content);
    return tmp;
  }

  /** 'wx' + 0600: created by us, readable by nobody else, flushed before it is published. */
  private async writeExclusive(file: string, content: MasterKeyFile): Promise<void> {
    let handle: fsp.FileHandle | undefined;
    try {
      handle = await fsp.open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify(content, null, 2) + '\n');
      await handle.sync();
    } catch (e) {
      throw this.unavailable('cannot write', e);
    } finally {
      await handle?.close();
    }
  }

  private async load(): Promise<void> {
    let raw: string;
    try {
      const st = await fsp.stat(this.file);
      // Like ssh with private keys: a master key file others can read or write
      // is refused rather than used, so a wrong chmod/restore is noticed.
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
        throw new KeyUnavailableError(
          `${this.file} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
        );
      }
      raw = await fsp.readFile(this.file, 'utf8');
    } catch (e) {
      if (e instanceof KeyUnavailableError) throw e;
      throw this.unavailable('cannot read', e);
    }
    const parsed = parseMasterFile(raw, this.file);
    // Not wiped here: an unwrap may still hold the previous Buffer of the same KEK.
    this.keks = parsed.keks;
    this.createdAt = parsed.createdAt;
    this.current = parsed.current;
  }

  private snapshot(): MasterKeyFile {
    return {
      format: FILE_FORMAT,
      current: this.current,
      keks: [...this.keks.entries()]
        .sort(([a], [b]) => a - b)
        .map(([version, key]) => ({ version, key: key.toString('base64'), createdAt: this.createdAt.get(version) ?? '' })),
    };
  }

  private wipe(): void {
    // Best effort: keys do not linger in memory after close().
    for (const key of this.keks.values()) key.fill(0);
    this.keks = new Map();
    this.current = 0;
  }

  private unavailable(what: string, cause: unknown): KeyUnavailableError {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    return new KeyUnavailableError(`${what} the master key file ${this.file}${code ? ` (${code})` : ''}`, { cause });
  }

  /**
   * Cross-process mutual exclusion for rotation: `${file}.lock` created with
   * 'wx'. Two rotations racing on read-modify-write would otherwise let the
   * second rename drop the first's new KEK, and with it every DEK wrapped by
   * it. A lock left by a crashed process is not broken automatically (that
   * could reintroduce the race); the error names the file to remove.
   */
  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.file}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const h = await fsp.open(lock, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
        await h.writeFile(`${process.pid}\n`);
        await h.close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw this.unavailable('cannot lock', e);
        if (Date.now() > deadline) {
          throw new KeyUnavailableError(`${lock} is held by another rotation; if no rotation is running, remove it`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    try {
      return await fn();
    } finally {
      await fsp.rm(lock, { force: true });
    }
  }
}

function parseMasterFile(raw: string, file: string): { current: number; keks: Map<number, Buffer>; createdAt: Map<number, string> } {
  const bad = (why: string) => new KeyUnavailableError(`${file} is not a valid master key file: ${why}`);
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new KeyUnavailableError(`${file} is not a valid master key file: not JSON`, { cause: e });
  }
  const f = data as Partial<MasterKeyFile> | null;
  if (!f || typeof f !== 'object' || f.format !== FILE_FORMAT) throw bad(`format is not ${FILE_FORMAT}`);
  if (!Array.isArray(f.keks) || f.keks.length === 0) throw bad('no KEKs');
  const keks = new Map<number, Buffer>();
  const createdAt = new Map<number, string>();
  for (const k of f.keks) {
    if (!k || !isKekVersion(k.version) || typeof k.key !== 'string') throw bad('malformed KEK entry');
    if (keks.has(k.version)) throw bad(`KEK version ${k.version} appears twice`);
    const key = Buffer.from(k.key, 'base64');
    if (key.length !== KEK_BYTES) throw bad(`KEK version ${k.version} is not ${KEK_BYTES} bytes`);
    keks.set(k.version, key);
    createdAt.set(k.version, typeof k.createdAt === 'string' ? k.createdAt : '');
  }
  if (!isKekVersion(f.current) || !keks.has(f.current)) throw bad('current version has no KEK');
  return { current: f.current, keks, createdAt };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new KeyUnavailableError(`cannot inspect the master key file ${file}`, { cause: e });
  }
}

/** The rename/link itself is durable only once the directory entry is flushed. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** The Ed25519 PEM (PKCS#8), created with 0600 when missing; 'wx' never overwrites a key another process just wrote. */
async function loadOrCreateEd25519(file: string): Promise<KeyObject> {
  if (!(await exists(file))) {
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      await fsp.writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(await fsp.readFile(file));
  } catch (e) {
    throw new KeyUnavailableError(`${file} is not a private key in PEM form`, { cause: e });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyUnavailableError(`${file} is not an Ed25519 private key`);
  return key;
}
