import { createPublicKey, randomBytes, verify } from 'node:crypto';
import type * as Pkcs11Js from 'pkcs11js';
import { KeyIntegrityError, KeyProviderError, KeyUnavailableError } from './errors';
import { DEK_BYTES, KeyProvider, WrappedKey } from './key-provider';
import {
  checkWrapArgs,
  decodeWrapped,
  encodeWrapped,
  FORMAT_PKCS11_GCM,
  isKekVersion,
  IV_BYTES,
  kekAad,
  SerialQueue,
  TAG_BYTES,
} from './wrap-format';

type Pkcs11Module = typeof Pkcs11Js;
type Handle = Buffer;

export const DEFAULT_PKCS11_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';
export const DEFAULT_KEK_LABEL_PREFIX = 'charlotte-kek';
export const DEFAULT_SIGNING_KEY_LABEL = 'charlotte-signing-ed25519';

export interface Pkcs11KeyProviderOptions {
  /** The PKCS#11 module. Default: Debian's SoftHSM, /usr/lib/softhsm/libsofthsm2.so. */
  libraryPath?: string;
  /** CKA_LABEL of the token (trailing blanks of the 32-byte field ignored). */
  tokenLabel: string;
  /** The token's user PIN. */
  pin: string;
  /** KEK objects are labelled `${prefix}-v${version}`. Default: charlotte-kek. */
  keyLabelPrefix?: string;
  /** When set, an Ed25519 key pair with this label (default charlotte-signing-ed25519) is found or created in the token. */
  signingKey?: { label?: string };
}

// PKCS#11 3.0 values (pkcs11js's headers are 2.40 and lack them); SoftHSM 2.6 uses the same numbers.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;
/** DER of OID 1.3.101.112 (id-Ed25519, RFC 8410): CKA_EC_PARAMS for Ed25519. */
const ED25519_EC_PARAMS = Buffer.from('06032b6570', 'hex');
const ED25519_SIGNATURE_BYTES = 64;

/**
 * KEKs inside an HSM through PKCS#11 (SoftHSM in tests). The KEK is an AES-256
 * secret key generated in the token with C_GenerateKey, sensitive and never
 * extractable: its bytes never exist outside the HSM, so neither a database
 * dump nor a memory dump of this process yields it. Wrap and unwrap are
 * CKM_AES_GCM encrypt/decrypt of the DEK inside the HSM, with the associated
 * data carrying the tenant binding (same format as the local provider, see
 * wrap-format.ts; format byte 0x02).
 *
 * KEK versions are the `-v<n>` suffixes of the key labels; the current version
 * is the highest present. Two processes creating the same version at once can
 * leave two keys with one label; unwrap then tries each (GCM tells which one
 * is right), so no wrapped DEK is lost to that race.
 *
 * One logged-in R/W session per provider, opened in init() and closed in
 * close(). PKCS#11 sessions are not safe for concurrent use (pkcs11js runs the
 * *Async calls on libuv worker threads), so every call goes through the
 * provider's queue and then the library's, shared by all providers on the
 * same module in this process.
 */
export class Pkcs11KeyProvider implements KeyProvider {
  readonly kind = 'pkcs11' as const;
  private readonly libraryPath: string;
  private readonly prefix: string;
  private readonly labelPattern: RegExp;
  private lib?: LoadedLibrary;
  private session?: Handle;
  private keks = new Map<number, Handle[]>();
  private current = 0;
  private signing?: { privateKey: Handle; publicRaw: Buffer };
  private state: 'new' | 'open' | 'closed' = 'new';
  private readonly queue = new SerialQueue();

  constructor(private readonly options: Pkcs11KeyProviderOptions) {
    if (!options.tokenLabel) throw new TypeError('Pkcs11KeyProvider needs a token label');
    if (!options.pin) throw new TypeError('Pkcs11KeyProvider needs the token PIN');
    this.libraryPath = options.libraryPath ?? DEFAULT_PKCS11_LIBRARY;
    this.prefix = options.keyLabelPrefix ?? DEFAULT_KEK_LABEL_PREFIX;
    if (!/^[A-Za-z0-9._-]{1,60}$/.test(this.prefix)) throw new TypeError('keyLabelPrefix must be 1-60 of [A-Za-z0-9._-]');
    this.labelPattern = new RegExp(`^${this.prefix.replace(/[.]/g, '\\.')}-v([1-9][0-9]{0,9})$`);
  }

  async init(): Promise<void> {
    await this.queue.run(async () => {
      if (this.state === 'open') return; // idempotent: one session per provider
      if (this.state === 'closed') throw new KeyUnavailableError('the key provider is closed');
      const lib = await acquireLibrary(this.libraryPath);
      this.lib = lib;
      await lib.queue.run(() => this.open());
    });
  }

  /** init() under the library's queue: find the token, log in, find or create the KEKs (and the signing key). */
  private async open(): Promise<void> {
    try {
      const slot = this.findSlot();
      this.checkMechanisms(slot);
      const { p, mod } = this.lib!;
      this.session = this.call('C_OpenSession', () => p.C_OpenSession(slot, mod.CKF_SERIAL_SESSION | mod.CKF_RW_SESSION));
      this.login();
      this.refreshKeks();
      if (this.keks.size === 0) {
        await this.generateKek(1);
        this.refreshKeks();
      }
      if (this.options.signingKey) await this.openSigningKey(this.options.signingKey.label ?? DEFAULT_SIGNING_KEY_LABEL);
      this.state = 'open';
    } catch (e) {
      // The init failure is what the caller needs; a failing C_CloseSession on the way out is secondary.
      const closeError = this.release();
      if (closeError) throw new KeyUnavailableError(`${(e as Error).message} (and closing the session failed)`, { cause: e });
      throw e;
    }
  }

  currentKekVersion(): number {
    this.assertOpen();
    return this.current;
  }

  async wrap(dek: Buffer, aad: Buffer): Promise<WrappedKey> {
    checkWrapArgs(dek, aad);
    return this.exclusive(async () => {
      const { p } = this.lib!;
      const kekVersion = this.current;
      const kek = this.keks.get(kekVersion)![0];
      // node's CSPRNG, not C_GenerateRandom: the IV must only be unique, and this saves an HSM round trip.
      const iv = randomBytes(IV_BYTES);
      this.call('C_EncryptInit', () => p.C_EncryptInit(this.session!, this.gcm(iv, kekAad(FORMAT_PKCS11_GCM, kekVersion, aad)), kek));
      const out = await this.callAsync('C_Encrypt', () => p.C_EncryptAsync(this.session!, dek, Buffer.alloc(DEK_BYTES + TAG_BYTES + 16)));
      if (out.length !== DEK_BYTES + TAG_BYTES) throw new KeyUnavailableError(`the HSM returned ${out.length} bytes for AES-GCM`);
      return { kekVersion, wrapped: encodeWrapped(FORMAT_PKCS11_GCM, iv, out) };
    });
  }

  async unwrap(w: WrappedKey, aad: Buffer): Promise<Buffer> {
    if (!Buffer.isBuffer(aad) || aad.length === 0) throw new TypeError('aad must bind the DEK to its tenant and version');
    if (!isKekVersion(w.kekVersion)) throw new KeyIntegrityError('wrapped key names an invalid KEK version');
    const { iv, ciphertext, tag } = decodeWrapped(FORMAT_PKCS11_GCM, w.wrapped);
    const input = Buffer.concat([ciphertext, tag]);
    return this.exclusive(async () => {
      // Another process may have rotated since we listed the keys.
      if (!this.keks.has(w.kekVersion)) this.refreshKeks();
      const candidates = this.keks.get(w.kekVersion);
      if (!candidates) throw new KeyUnavailableError(`KEK version ${w.kekVersion} is not in the token`);
      const { p } = this.lib!;
      let failure: unknown;
      for (const kek of candidates) {
        try {
          this.call('C_DecryptInit', () => p.C_DecryptInit(this.session!, this.gcm(iv, kekAad(FORMAT_PKCS11_GCM, w.kekVersion, aad)), kek));
          const dek = await this.callAsync('C_Decrypt', () => p.C_DecryptAsync(this.session!, input, Buffer.alloc(input.length)));
          if (dek.length !== DEK_BYTES) throw new KeyIntegrityError('unwrapped key has the wrong length');
          return Buffer.from(dek);
        } catch (e) {
          if (!(e instanceof KeyIntegrityError)) throw e;
          failure = e;
        }
      }
      throw new KeyIntegrityError('wrapped key failed authentication', { cause: failure });
    });
  }

  async rotateKek(): Promise<number> {
    return this.exclusive(async () => {
      // Re-list first: another process may already have rotated.
      this.refreshKeks();
      await this.generateKek(this.current + 1);
      this.refreshKeks();
      return this.current;
    });
  }

  async signEd25519(message: Buffer): Promise<Buffer> {
    if (!Buffer.isBuffer(message)) throw new TypeError('message must be a Buffer');
    return this.exclusive(async () => {
      if (!this.signing) throw new KeyUnavailableError('this key provider was opened without a signing key');
      const { p } = this.lib!;
      const privateKey = this.signing.privateKey;
      // CKM_EDDSA without parameters is pure Ed25519 (RFC 8032), what node:crypto verifies.
      this.call('C_SignInit', () => p.C_SignInit(this.session!, { mechanism: CKM_EDDSA }, privateKey));
      const sig = await this.callAsync('C_Sign', () => p.C_SignAsync(this.session!, message, Buffer.alloc(ED25519_SIGNATURE_BYTES)));
      return Buffer.from(sig);
    });
  }

  ed25519PublicKeyRaw(): Buffer {
    this.assertOpen();
    if (!this.signing) throw new KeyUnavailableError('this key provider was opened without a signing key');
    return Buffer.from(this.signing.publicRaw);
  }

  async close(): Promise<void> {
    await this.queue.run(async () => {
      const lib = this.lib;
      const closeError = lib ? await lib.queue.run(() => this.release()) : undefined;
      this.state = 'closed';
      if (closeError) throw this.unavailable('C_CloseSession', closeError);
    });
  }

  /** Runs `fn` alone on this provider and on the PKCS#11 module, once the provider is open. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(() => {
      this.assertOpen();
      return this.lib!.queue.run(fn);
    });
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new KeyUnavailableError(`the key provider is ${this.state === 'new' ? 'not initialised' : 'closed'}`);
  }

  private gcm(iv: Buffer, aad: Buffer): Pkcs11Js.Mechanism {
    const { mod } = this.lib!;
    // CK_GCM_PARAMS as in PKCS#11 2.40 (with ulIvBits), the struct SoftHSM 2.6 expects.
    const parameter: Pkcs11Js.GcmParams = { type: mod.CK_PARAMS_GCM, iv, ivBits: IV_BYTES * 8, aad, tagBits: TAG_BYTES * 8 };
    return { mechanism: mod.CKM_AES_GCM, parameter };
  }

  private findSlot(): Handle {
    const { p } = this.lib!;
    const slots = this.call('C_GetSlotList', () => p.C_GetSlotList(true));
    const matching = slots.filter(
      (slot) => this.call('C_GetTokenInfo', () => p.C_GetTokenInfo(slot)).label.trimEnd() === this.options.tokenLabel,
    );
    if (matching.length === 0)
      throw new KeyUnavailableError(`no PKCS#11 token labelled "${this.options.tokenLabel}" in ${this.libraryPath}`);
    // Two tokens with one label: refuse rather than guess which holds the KEKs.
    if (matching.length > 1) throw new KeyUnavailableError(`${matching.length} PKCS#11 tokens are labelled "${this.options.tokenLabel}"`);
    return matching[0];
  }

  /** Fail at boot, with a clear message, on an HSM that cannot do what we need. */
  private checkMechanisms(slot: Handle): void {
    const { p, mod } = this.lib!;
    const mechanisms = this.call('C_GetMechanismList', () => p.C_GetMechanismList(slot));
    const need: [number, string][] = [
      [mod.CKM_AES_KEY_GEN, 'CKM_AES_KEY_GEN'],
      [mod.CKM_AES_GCM, 'CKM_AES_GCM'],
    ];
    if (this.options.signingKey) {
      need.push([CKM_EC_EDWARDS_KEY_PAIR_GEN, 'CKM_EC_EDWARDS_KEY_PAIR_GEN'], [CKM_EDDSA, 'CKM_EDDSA']);
    }
    const missing = need.filter(([m]) => !mechanisms.includes(m)).map(([, name]) => name);
    if (missing.length) throw new KeyUnavailableError(`the PKCS#11 token does not support ${missing.join(', ')}`);
  }

  private login(): void {
    const { p, mod } = this.lib!;
    try {
      p.C_Login(this.session!, mod.CKU_USER, this.options.pin);
    } catch (e) {
      // Login state is per application and token: another provider of this process is already logged in.
      if (pkcs11Code(e) === mod.CKR_USER_ALREADY_LOGGED_IN) return;
      // The message names the CKR_ code only, never the PIN.
      throw this.unavailable('C_Login', e);
    }
  }

  /** Lists the KEK objects of this prefix; the highest version becomes current. */
  private refreshKeks(): void {
    const { mod } = this.lib!;
    const handles = this.findObjects([
      { type: mod.CKA_CLASS, value: mod.CKO_SECRET_KEY },
      { type: mod.CKA_KEY_TYPE, value: mod.CKK_AES },
      { type: mod.CKA_TOKEN, value: true },
    ]);
    const keks = new Map<number, Handle[]>();
    for (const h of handles) {
      const [label] = this.attributes(h, [mod.CKA_LABEL]);
      const match = this.labelPattern.exec(label.toString('utf8'));
      if (!match || !isKekVersion(Number(match[1]))) continue;
      const [sensitive, extractable, encrypt, decrypt, valueLen] = this.attributes(h, [
        mod.CKA_SENSITIVE,
        mod.CKA_EXTRACTABLE,
        mod.CKA_ENCRYPT,
        mod.CKA_DECRYPT,
        mod.CKA_VALUE_LEN,
      ]);
      // A KEK whose bytes could be read out of the HSM (imported, or made by
      // hand with the wrong template) would void the point of the HSM: refuse it.
      if (!bool(sensitive) || bool(extractable)) {
        throw new KeyUnavailableError(`KEK "${label.toString('utf8')}" is extractable or not sensitive; refusing to use it`);
      }
      if (!bool(encrypt) || !bool(decrypt) || ulong(valueLen) !== 32) {
        throw new KeyUnavailableError(`KEK "${label.toString('utf8')}" is not an AES-256 encrypt/decrypt key`);
      }
      const version = Number(match[1]);
      keks.set(version, [...(keks.get(version) ?? []), h]);
    }
    if (keks.size > 0 || this.keks.size === 0) {
      this.keks = keks;
      this.current = keks.size ? Math.max(...keks.keys()) : 0;
    } else {
      throw new KeyUnavailableError(`the KEKs labelled ${this.prefix}-v* have disappeared from the token`);
    }
  }

  private async generateKek(version: number): Promise<void> {
    const { p, mod } = this.lib!;
    const label = `${this.prefix}-v${version}`;
    const template: Pkcs11Js.Template = [
      { type: mod.CKA_CLASS, value: mod.CKO_SECRET_KEY },
      { type: mod.CKA_KEY_TYPE, value: mod.CKK_AES },
      { type: mod.CKA_VALUE_LEN, value: 32 },
      { type: mod.CKA_LABEL, value: label },
      { type: mod.CKA_ID, value: Buffer.from(label, 'utf8') },
      // Persistent, visible only after login.
      { type: mod.CKA_TOKEN, value: true },
      { type: mod.CKA_PRIVATE, value: true },
      // Never readable in clear, never exportable (not even wrapped by another key).
      { type: mod.CKA_SENSITIVE, value: true },
      { type: mod.CKA_EXTRACTABLE, value: false },
      // Only what wrapping DEKs needs: a KEK that could also sign, derive or
      // C_WrapKey other keys would widen what a stolen PIN allows.
      { type: mod.CKA_ENCRYPT, value: true },
      { type: mod.CKA_DECRYPT, value: true },
      { type: mod.CKA_WRAP, value: false },
      { type: mod.CKA_UNWRAP, value: false },
      { type: mod.CKA_SIGN, value: false },
      { type: mod.CKA_VERIFY, value: false },
      { type: mod.CKA_DERIVE, value: false },
      // Attributes (label, usage) cannot be changed afterwards.
      { type: mod.CKA_MODIFIABLE, value: false },
    ];
    await this.callAsync('C_GenerateKey', () => p.C_GenerateKeyAsync(this.session!, { mechanism: mod.CKM_AES_KEY_GEN }, template));
  }

  /**
   * Finds (or creates) the Ed25519 key pair labelled `label`. The pair is tied
   * by a random CKA_ID; if a start-up race left several pairs, the one with the
   * lowest CKA_ID is used, the same choice in every process.
   */
  private async openSigningKey(label: string): Promise<void> {
    const { p, mod } = this.lib!;
    const privTemplate: Pkcs11Js.Template = [
      { type: mod.CKA_CLASS, value: mod.CKO_PRIVATE_KEY },
      { type: mod.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
      { type: mod.CKA_TOKEN, value: true },
      { type: mod.CKA_LABEL, value: label },
    ];
    let privateKeys = this.findObjects(privTemplate);
    if (privateKeys.length === 0) {
      const id = randomBytes(16);
      await this.callAsync('C_GenerateKeyPair', () =>
        p.C_GenerateKeyPairAsync(
          this.session!,
          { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
          [
            { type: mod.CKA_TOKEN, value: true },
            { type: mod.CKA_PRIVATE, value: false },
            { type: mod.CKA_VERIFY, value: true },
            { type: mod.CKA_EC_PARAMS, value: ED25519_EC_PARAMS },
            { type: mod.CKA_LABEL, value: label },
            { type: mod.CKA_ID, value: id },
          ],
          [
            { type: mod.CKA_TOKEN, value: true },
            { type: mod.CKA_PRIVATE, value: true },
            // The private key never leaves the HSM: only signatures do.
            { type: mod.CKA_SENSITIVE, value: true },
            { type: mod.CKA_EXTRACTABLE, value: false },
            { type: mod.CKA_SIGN, value: true },
            { type: mod.CKA_DERIVE, value: false },
            { type: mod.CKA_LABEL, value: label },
            { type: mod.CKA_ID, value: id },
          ],
        ),
      );
      privateKeys = this.findObjects(privTemplate);
    }
    const pairs: { id: Buffer; privateKey: Handle; publicKey: Handle }[] = [];
    for (const privateKey of privateKeys) {
      const [id] = this.attributes(privateKey, [mod.CKA_ID]);
      const [publicKey] = this.findObjects([
        { type: mod.CKA_CLASS, value: mod.CKO_PUBLIC_KEY },
        { type: mod.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
        { type: mod.CKA_ID, value: id },
      ]);
      if (publicKey) pairs.push({ id, privateKey, publicKey });
    }
    pairs.sort((a, b) => Buffer.compare(a.id, b.id));
    const pair = pairs[0];
    if (!pair) throw new KeyUnavailableError(`the Ed25519 key "${label}" has no public key in the token`);
    const [sensitive, extractable] = this.attributes(pair.privateKey, [mod.CKA_SENSITIVE, mod.CKA_EXTRACTABLE]);
    if (!bool(sensitive) || bool(extractable))
      throw new KeyUnavailableError(`the Ed25519 key "${label}" is extractable; refusing to use it`);
    const [point] = this.attributes(pair.publicKey, [mod.CKA_EC_POINT]);
    const publicRaw = ed25519PointToRaw(point);
    this.signing = { privateKey: pair.privateKey, publicRaw };

    // Self-test: the public key we will publish must match the private key that signs.
    const probe = randomBytes(32);
    this.call('C_SignInit', () => p.C_SignInit(this.session!, { mechanism: CKM_EDDSA }, pair.privateKey));
    const sig = await this.callAsync('C_Sign', () => p.C_SignAsync(this.session!, probe, Buffer.alloc(ED25519_SIGNATURE_BYTES)));
    if (!verify(null, probe, ed25519PublicKey(publicRaw), sig)) {
      this.signing = undefined;
      throw new KeyIntegrityError(`the Ed25519 key "${label}" does not verify with its public key`);
    }
  }

  private findObjects(template: Pkcs11Js.Template): Handle[] {
    const { p } = this.lib!;
    this.call('C_FindObjectsInit', () => p.C_FindObjectsInit(this.session!, template));
    return this.call('C_FindObjects', () => {
      try {
        const found: Handle[] = [];
        for (;;) {
          const batch = p.C_FindObjects(this.session!, 64);
          if (batch.length === 0) return found;
          found.push(...batch);
        }
      } finally {
        p.C_FindObjectsFinal(this.session!);
      }
    });
  }

  private attributes(object: Handle, types: number[]): Buffer[] {
    const { p } = this.lib!;
    const result = this.call('C_GetAttributeValue', () =>
      p.C_GetAttributeValue(
        this.session!,
        object,
        types.map((type) => ({ type })),
      ),
    );
    return types.map((type) => result.find((a) => a.type === type)?.value ?? Buffer.alloc(0));
  }

  private call<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw this.mapError(what, e);
    }
  }

  private async callAsync<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.mapError(what, e);
    }
  }

  /**
   * A failed C_Decrypt of a GCM blob is an integrity failure: the spec says
   * CKR_ENCRYPTED_DATA_INVALID, but SoftHSM 2.6 reports a tag mismatch as
   * CKR_GENERAL_ERROR. Everything else (session, login, device) means the
   * HSM is unavailable.
   */
  private mapError(what: string, e: unknown): Error {
    if (e instanceof KeyProviderError || e instanceof TypeError) return e;
    const mod = this.lib?.mod;
    const code = pkcs11Code(e);
    if (
      mod &&
      what === 'C_Decrypt' &&
      (code === mod.CKR_ENCRYPTED_DATA_INVALID || code === mod.CKR_ENCRYPTED_DATA_LEN_RANGE || code === mod.CKR_GENERAL_ERROR)
    ) {
      return new KeyIntegrityError('wrapped key failed authentication in the HSM', { cause: e });
    }
    return this.unavailable(what, e);
  }

  private unavailable(what: string, e: unknown): KeyUnavailableError {
    return new KeyUnavailableError(`PKCS#11 ${what} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }

  /**
   * Closing the last session of the application also logs it out (PKCS#11
   * 2.40, 5.6): no explicit C_Logout, which would log out other providers of
   * this process on the same token.
   */
  private release(): unknown {
    const lib = this.lib;
    const session = this.session;
    this.session = undefined;
    this.lib = undefined;
    this.keks = new Map();
    this.signing = undefined;
    this.current = 0;
    if (!lib) return undefined;
    let closeError: unknown;
    try {
      if (session) lib.p.C_CloseSession(session);
    } catch (e) {
      // Returned, not swallowed: the library must be released either way.
      closeError = e;
    }
    releaseLibrary(this.libraryPath, lib);
    return closeError;
  }
}

/**
 * C_Initialize/C_Finalize are per process and library, not per provider: two
 * providers on one module (two tokens, or a test beside the app) share one
 * initialised library, finalised when the last one closes. If someone else
 * initialised it, we never finalise it.
 */
interface LoadedLibrary {
  mod: Pkcs11Module;
  p: Pkcs11Js.PKCS11;
  refs: number;
  ownsInit: boolean;
  /** Serialises every call into the module from this process. */
  queue: SerialQueue;
}
const libraries = new Map<string, LoadedLibrary>();

async function acquireLibrary(libraryPath: string): Promise<LoadedLibrary> {
  // Loaded lazily, so a deployment with the local provider never needs the native module.
  const mod = (await import('pkcs11js')) as Pkcs11Module;
  let lib = libraries.get(libraryPath);
  if (!lib) {
    const p = new mod.PKCS11();
    try {
      p.load(libraryPath);
    } catch (e) {
      throw new KeyUnavailableError(`cannot load the PKCS#11 module ${libraryPath}`, { cause: e });
    }
    let ownsInit = true;
    try {
      // CKF_OS_LOCKING_OK: without it SoftHSM disables its internal mutexes
      // (pkcs11js passes flags 0), and calls made from libuv worker threads
      // could race inside it. The queue below serialises ours anyway.
      p.C_Initialize({ flags: mod.CKF_OS_LOCKING_OK });
    } catch (e) {
      if (pkcs11Code(e) !== mod.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        throw new KeyUnavailableError(`PKCS#11 C_Initialize of ${libraryPath} failed: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        });
      }
      ownsInit = false;
    }
    lib = { mod, p, refs: 0, ownsInit, queue: new SerialQueue() };
    libraries.set(libraryPath, lib);
  }
  lib.refs++;
  return lib;
}

function releaseLibrary(libraryPath: string, lib: LoadedLibrary): void {
  lib.refs--;
  if (lib.refs > 0) return;
  libraries.delete(libraryPath);
  try {
    if (lib.ownsInit) lib.p.C_Finalize();
  } finally {
    lib.p.close();
  }
}

function pkcs11Code(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

function bool(v: Buffer): boolean {
  return v.length > 0 && v[0] !== 0;
}

/** CK_ULONG in host byte order (little-endian on the platforms we run on). */
function ulong(v: Buffer): number {
  if (v.length === 8) return Number(v.readBigUInt64LE(0));
  if (v.length === 4) return v.readUInt32LE(0);
  return NaN;
}

/** CKA_EC_POINT of an Ed25519 key: DER OCTET STRING (04 20 ‖ 32 bytes), or the raw 32 bytes some HSMs return. */
function ed25519PointToRaw(point: Buffer): Buffer {
  if (point.length === 34 && point[0] === 0x04 && point[1] === 0x20) return Buffer.from(point.subarray(2));
  if (point.length === 32) return Buffer.from(point);
  throw new KeyIntegrityError('the token returned a malformed Ed25519 public key');
}

function ed25519PublicKey(raw: Buffer) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}
