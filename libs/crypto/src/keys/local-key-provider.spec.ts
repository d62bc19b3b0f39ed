import { createPublicKey, randomBytes, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KeyIntegrityError, KeyUnavailableError } from './errors';
import { DEK_BYTES, WrappedKey } from './key-provider';
import { LocalKeyProvider } from './local-key-provider';

describe(LocalKeyProvider.name, () => {
  let dir: string;
  const open: LocalKeyProvider[] = [];
  const aadA = Buffer.from('tenant-a|1');
  const aadB = Buffer.from('tenant-b|1');

  async function make(options: { dataDir?: string; file?: string; signingKeyFile?: string } = { dataDir: dir }): Promise<LocalKeyProvider> {
    const sut = new LocalKeyProvider(options);
    await sut.init();
    open.push(sut);
    return sut;
  }
  const masterFile = () => path.join(dir, 'keys', 'master.json');
  const flip = (w: WrappedKey, index: number): WrappedKey => {
    const wrapped = Buffer.from(w.wrapped);
    wrapped[index] ^= 0x01;
    return { kekVersion: w.kekVersion, wrapped };
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-keys-'));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the master key file with 0600 in a 0700 directory, holding KEK version 1', async () => {
    const sut = await make();
    expect(sut.kind).toBe('local');
    expect(sut.file).toBe(masterFile());
    expect(fs.statSync(masterFile()).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(masterFile())).mode & 0o777).toBe(0o700);
    const content = JSON.parse(fs.readFileSync(masterFile(), 'utf8'));
    expect(content.format).toBe('charlotte-master-key/1');
    expect(content.current).toBe(1);
    expect(content.keks).toHaveLength(1);
    expect(Buffer.from(content.keks[0].key, 'base64')).toHaveLength(32);
    expect(sut.currentKekVersion()).toBe(1);
    expect(fs.readdirSync(path.dirname(masterFile()))).toEqual(['master.json']);
  });

  it('uses a given file path', async () => {
    const file = path.join(dir, 'elsewhere', 'kek.json');
    await make({ file });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(masterFile())).toBe(false);
  });

  it('wraps and unwraps a DEK, with a fresh IV every time', async () => {
    const sut = await make();
    const dek = randomBytes(DEK_BYTES);
    const w = await sut.wrap(dek, aadA);
    expect(w.kekVersion).toBe(1);
    expect(w.wrapped).toHaveLength(1 + 12 + 32 + 16);
    expect(w.wrapped[0]).toBe(0x01);
    expect(w.wrapped.includes(dek)).toBe(false);
    expect(await sut.unwrap(w, aadA)).toEqual(dek);
    const again = await sut.wrap(dek, aadA);
    expect(again.wrapped.equals(w.wrapped)).toBe(false);
  });

  it('refuses a wrapped DEK presented with another aad (moved to another tenant or version)', async () => {
    const sut = await make();
    const w = await sut.wrap(randomBytes(DEK_BYTES), aadA);
    await expect(sut.unwrap(w, aadB)).rejects.toBeInstanceOf(KeyIntegrityError);
    await expect(sut.unwrap(w, Buffer.from('tenant-a|2'))).rejects.toMatchObject({ code: 'key_integrity' });
  });

  it('refuses tampered, truncated or foreign-format wrapped bytes', async () => {
    const sut = await make();
    const w = await sut.wrap(randomBytes(DEK_BYTES), aadA);
    for (const index of [0, 1, 12, 13, 44, 45, 60]) {
      await expect(sut.unwrap(flip(w, index), aadA)).rejects.toBeInstanceOf(KeyIntegrityError);
    }
    await expect(sut.unwrap({ kekVersion: 1, wrapped: w.wrapped.subarray(0, 60) }, aadA)).rejects.toBeInstanceOf(KeyIntegrityError);
    await expect(sut.unwrap({ kekVersion: 1, wrapped: Buffer.concat([w.wrapped, Buffer.alloc(1)]) }, aadA)).rejects.toBeInstanceOf(
      KeyIntegrityError,
    );
    const pkcs11Format = Buffer.from(w.wrapped);
    pkcs11Format[0] = 0x02;
    await expect(sut.unwrap({ kekVersion: 1, wrapped: pkcs11Format }, aadA)).rejects.toThrow(/not made by this key provider/);
  });

  it('refuses a wrapped DEK whose KEK version was changed', async () => {
    const sut = await make();
    const w = await sut.wrap(randomBytes(DEK_BYTES), aadA);
    await sut.rotateKek();
    await expect(sut.unwrap({ ...w, kekVersion: 2 }, aadA)).rejects.toBeInstanceOf(KeyIntegrityError);
    await expect(sut.unwrap({ ...w, kekVersion: 9 }, aadA)).rejects.toBeInstanceOf(KeyUnavailableError);
    await expect(sut.unwrap({ ...w, kekVersion: 0 }, aadA)).rejects.toBeInstanceOf(KeyIntegrityError);
  });

  it('refuses a DEK wrapped under another master key file', async () => {
    const other = await make({ file: path.join(dir, 'other.json') });
    const sut = await make();
    const w = await other.wrap(randomBytes(DEK_BYTES), aadA);
    await expect(sut.unwrap(w, aadA)).rejects.toBeInstanceOf(KeyIntegrityError);
  });

  it('rotates: the new KEK version becomes current and DEKs wrapped before still unwrap', async () => {
    const sut = await make();
    const dek1 = randomBytes(DEK_BYTES);
    const w1 = await sut.wrap(dek1, aadA);
    expect(await sut.rotateKek()).toBe(2);
    expect(sut.currentKekVersion()).toBe(2);
    const dek2 = randomBytes(DEK_BYTES);
    const w2 = await sut.wrap(dek2, aadA);
    expect(w2.kekVersion).toBe(2);
    expect(await sut.unwrap(w1, aadA)).toEqual(dek1);
    expect(await sut.unwrap(w2, aadA)).toEqual(dek2);
    expect(fs.statSync(masterFile()).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(masterFile()))).toEqual(['master.json']);
  });

  it('reloads every KEK version and the current one from the file', async () => {
    const first = await make();
    const dek1 = randomBytes(DEK_BYTES);
    const w1 = await first.wrap(dek1, aadA);
    await first.rotateKek();
    const dek2 = randomBytes(DEK_BYTES);
    const w2 = await first.wrap(dek2, aadA);
    await first.close();

    const sut = await make();
    expect(sut.currentKekVersion()).toBe(2);
    expect(await sut.unwrap(w1, aadA)).toEqual(dek1);
    expect(await sut.unwrap(w2, aadA)).toEqual(dek2);
  });

  it('never replaces a master key file another instance created at the same time', async () => {
    const [a, b] = await Promise.all([make(), make()]);
    const dek = randomBytes(DEK_BYTES);
    expect(await b.unwrap(await a.wrap(dek, aadA), aadA)).toEqual(dek);
    expect(fs.readdirSync(path.dirname(masterFile()))).toEqual(['master.json']);
  });

  it('keeps both KEK versions when two instances rotate at the same time', async () => {
    const [a, b] = await Promise.all([make(), make()]);
    const versions = await Promise.all([a.rotateKek(), b.rotateKek()]);
    expect(versions.sort()).toEqual([2, 3]);
    const content = JSON.parse(fs.readFileSync(masterFile(), 'utf8'));
    expect(content.keks.map((k: { version: number }) => k.version)).toEqual([1, 2, 3]);
    expect(content.current).toBe(3);
  });

  it('unwraps with a KEK version another instance added after it started', async () => {
    const [a, b] = await Promise.all([make(), make()]);
    await b.rotateKek();
    const dek = randomBytes(DEK_BYTES);
    const w = await b.wrap(dek, aadA);
    expect(a.currentKekVersion()).toBe(1);
    expect(await a.unwrap(w, aadA)).toEqual(dek);
    expect(a.currentKekVersion()).toBe(2);
  });

  it('refuses a master key file readable by group or others', async () => {
    await (await make()).close();
    fs.chmodSync(masterFile(), 0o644);
    await expect(make()).rejects.toThrow(/chmod 600/);
  });

  it('refuses a corrupt master key file and never overwrites it', async () => {
    fs.mkdirSync(path.dirname(masterFile()), { recursive: true, mode: 0o700 });
    fs.writeFileSync(masterFile(), '{"format":"charlotte-master-key/1","current":1,"keks":[{"version":1,"key":"c2hvcnQ="}]}', {
      mode: 0o600,
    });
    await expect(make()).rejects.toBeInstanceOf(KeyUnavailableError);
    fs.writeFileSync(masterFile(), 'not json');
    await expect(make()).rejects.toThrow(/not a valid master key file/);
    expect(fs.readFileSync(masterFile(), 'utf8')).toBe('not json');
  });

  it('refuses to work before init and after close', async () => {
    const fresh = new LocalKeyProvider({ dataDir: dir });
    expect(() => fresh.currentKekVersion()).toThrow(KeyUnavailableError);
    await expect(fresh.wrap(randomBytes(DEK_BYTES), aadA)).rejects.toBeInstanceOf(KeyUnavailableError);
    const sut = await make();
    const w = await sut.wrap(randomBytes(DEK_BYTES), aadA);
    await sut.close();
    await expect(sut.unwrap(w, aadA)).rejects.toThrow(/closed/);
    await expect(sut.init()).rejects.toBeInstanceOf(KeyUnavailableError);
  });

  it('refuses a DEK of the wrong size and an empty aad', async () => {
    const sut = await make();
    await expect(sut.wrap(randomBytes(16), aadA)).rejects.toBeInstanceOf(TypeError);
    await expect(sut.wrap(randomBytes(DEK_BYTES), Buffer.alloc(0))).rejects.toBeInstanceOf(TypeError);
    const w = await sut.wrap(randomBytes(DEK_BYTES), aadA);
    await expect(sut.unwrap(w, Buffer.alloc(0))).rejects.toBeInstanceOf(TypeError);
  });

  it('signs with an Ed25519 key file it creates with 0600 and keeps across restarts', async () => {
    const signingKeyFile = path.join(dir, 'keys', 'signing-ed25519.pem');
    const first = await make({ dataDir: dir, signingKeyFile });
    expect(fs.statSync(signingKeyFile).mode & 0o777).toBe(0o600);
    const raw = first.ed25519PublicKeyRaw();
    const sig = await first.signEd25519(Buffer.from('checkpoint'));
    const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    expect(verify(null, Buffer.from('checkpoint'), pub, sig)).toBe(true);
    expect(verify(null, Buffer.from('checkpoinT'), pub, sig)).toBe(false);
    const again = await make({ dataDir: dir, signingKeyFile });
    expect(again.ed25519PublicKeyRaw().equals(raw)).toBe(true);
    const none = await make({ dataDir: dir });
    await expect(none.signEd25519(Buffer.from('x'))).rejects.toBeInstanceOf(KeyUnavailableError);
  });
});
