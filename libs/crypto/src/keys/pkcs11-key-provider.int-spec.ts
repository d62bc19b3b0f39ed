import { createPublicKey, randomBytes, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as pkcs11js from 'pkcs11js';
import { KeyIntegrityError, KeyUnavailableError } from './errors';
import { DEK_BYTES } from './key-provider';
import { LocalKeyProvider } from './local-key-provider';
import { Pkcs11KeyProvider, Pkcs11KeyProviderOptions } from './pkcs11-key-provider';
import { createSoftHsmToken, SoftHsmToken } from './softhsm-test-token';

/**
 * Against real SoftHSM tokens made fresh for this file by
 * scripts/softhsm-init.sh. Both tokens share one SOFTHSM2_CONF, put in the
 * real environment before the first C_Initialize (SoftHSM reads it only then;
 * jest's process.env is a copy, see setNativeEnv). No database is involved.
 */
describe(Pkcs11KeyProvider.name, () => {
  let tokenA: SoftHsmToken;
  let tokenB: SoftHsmToken;
  const open: Pkcs11KeyProvider[] = [];
  const aadA = Buffer.from('tenant-a|1');

  beforeAll(() => {
    tokenA = createSoftHsmToken({ label: 'charlotte-a' });
    tokenB = createSoftHsmToken({ dir: tokenA.dir, label: 'charlotte-b' });
    tokenA.activate();
  });
  afterEach(async () => {
    for (const p of open.splice(0).reverse()) await p.close();
  });
  afterAll(() => {
    tokenA?.cleanup();
  });

  const optionsFor = (token: SoftHsmToken, over: Partial<Pkcs11KeyProviderOptions> = {}): Pkcs11KeyProviderOptions => ({
    libraryPath: token.env.PKCS11_LIBRARY,
    tokenLabel: token.env.PKCS11_TOKEN_LABEL,
    pin: token.env.PKCS11_PIN,
    ...over,
  });
  async function make(token: SoftHsmToken, over: Partial<Pkcs11KeyProviderOptions> = {}): Promise<Pkcs11KeyProvider> {
    const sut = new Pkcs11KeyProvider(optionsFor(token, over));
    await sut.init();
    open.push(sut);
    return sut;
  }

  /**
   * A second, raw PKCS#11 view of a token, as an attacker holding the PIN
   * would have it. Use it while a provider is open: the library is then
   * already initialised and stays so when this session closes.
   */
  function inspect<T>(token: SoftHsmToken, fn: (p: pkcs11js.PKCS11, session: Buffer) => T): T {
    const p = new pkcs11js.PKCS11();
    p.load(token.env.PKCS11_LIBRARY);
    try {
      p.C_Initialize();
    } catch (e) {
      if ((e as pkcs11js.Pkcs11Error).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
    }
    const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trimEnd() === token.env.PKCS11_TOKEN_LABEL)!;
    const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      return fn(p, session);
    } finally {
      p.C_CloseSession(session);
    }
  }
  function findByLabel(p: pkcs11js.PKCS11, session: Buffer, label: string): Buffer[] {
    p.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_LABEL, value: label }]);
    try {
      return p.C_FindObjects(session, 10);
    } finally {
      p.C_FindObjectsFinal(session);
    }
  }

  it('creates KEK version 1 inside the token as a sensitive, never-extractable AES-256 key', async () => {
    const sut = await make(tokenA);
    expect(sut.kind).toBe('pkcs11');
    expect(sut.currentKekVersion()).toBe(1);
    inspect(tokenA, (p, session) => {
      const [kek, ...others] = findByLabel(p, session, 'charlotte-kek-v1');
      expect(kek).toBeDefined();
      expect(others).toHaveLength(0);
      const attrs = p.C_GetAttributeValue(session, kek, [
        { type: pkcs11js.CKA_CLASS },
        { type: pkcs11js.CKA_KEY_TYPE },
        { type: pkcs11js.CKA_TOKEN },
        { type: pkcs11js.CKA_SENSITIVE },
        { type: pkcs11js.CKA_EXTRACTABLE },
        { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
        { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
        { type: pkcs11js.CKA_ENCRYPT },
        { type: pkcs11js.CKA_DECRYPT },
        { type: pkcs11js.CKA_WRAP },
        { type: pkcs11js.CKA_VALUE_LEN },
      ]);
      const [cls, keyType, tokenAttr, sensitive, extractable, alwaysSensitive, neverExtractable, enc, dec, wrap, len] = attrs.map(
        (a) => a.value as Buffer,
      );
      expect(cls.readUInt32LE(0)).toBe(pkcs11js.CKO_SECRET_KEY);
      expect(keyType.readUInt32LE(0)).toBe(pkcs11js.CKK_AES);
      expect([tokenAttr[0], sensitive[0], extractable[0], alwaysSensitive[0], neverExtractable[0]]).toEqual([1, 1, 0, 1, 1]);
      expect([enc[0], dec[0], wrap[0]]).toEqual([1, 1, 0]);
      expect(len.readUInt32LE(0)).toBe(32);
    });
  });

  it('refuses to reveal or export the KEK, even to a logged-in session', async () => {
    await make(tokenA);
    inspect(tokenA, (p, session) => {
      const [kek] = findByLabel(p, session, 'charlotte-kek-v1');
      expect(() => p.C_GetAttributeValue(session, kek, [{ type: pkcs11js.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      // Nor wrapped out under a key the attacker controls.
      const attackerKey = p.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_WRAP, value: true },
      ]);
      expect(() => p.C_WrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD }, attackerKey, kek, Buffer.alloc(128))).toThrow(
        /CKR_KEY_UNEXTRACTABLE/,
      );
      // And the flags cannot be turned back.
      expect(() => p.C_SetAttributeValue(session, kek, [{ type: pkcs11js.CKA_EXTRACTABLE, value: true }])).toThrow(/CKR_/);
    });
  });

  it('wraps and unwraps a DEK inside the HSM', async () => {
    const sut = await make(tokenA);
    const dek = randomBytes(DEK_BYTES);
    const w = await sut.wrap(dek, aadA);
    expect(w.kekVersion).toBe(1);
    expect(w.wrapped).toHaveLength(1 + 12 + 32 + 16);
    expect(w.wrapped[0]).toBe(0x02);
    expect(w.wrapped.includes(dek)).toBe(false);
    expect(await sut.unwrap(w, aadA)).toEqual(dek);
  });

  it('serialises concurrent calls on its one session', async () => {
    const sut = await make(tokenA);
    const deks = Array.from({ length: 20 }, () => randomBytes(DEK_BYTES));
    const wrapped = await Promise.all(deks.map((d, i) => sut.wrap(d, Buffer.from(`t|${i}`))));
    const back = await Promise.all(wrapped.map((w, i) => sut.unwrap(w, Buffer.from(`t|${i}`))));
    expect(back).toEqual(deks);
  });

  it('refuses a wrapped DEK presented with another aad, and tampered bytes', async () => {
    const sut = await make(tokenA);
    const w = await sut.wrap(randomBytes(DEK_BYTES), aadA);
    await expect(sut.unwrap(w, Buffer.from('tenant-b|1'))).rejects.toBeInstanceOf(KeyIntegrityError);
    for (const index of [1, 13, 60]) {
      const wrapped = Buffer.from(w.wrapped);
      wrapped[index] ^= 0x80;
      await expect(sut.unwrap({ kekVersion: 1, wrapped }, aadA)).rejects.toMatchObject({ code: 'key_integrity' });
    }
    // The session is still usable after the HSM refused.
    const dek = randomBytes(DEK_BYTES);
    expect(await sut.unwrap(await sut.wrap(dek, aadA), aadA)).toEqual(dek);
  });

  it('refuses a DEK wrapped by another token, or by the local provider', async () => {
    const a = await make(tokenA);
    const b = await make(tokenB);
    expect(b.currentKekVersion()).toBe(1);
    const w = await a.wrap(randomBytes(DEK_BYTES), aadA);
    await expect(b.unwrap(w, aadA)).rejects.toBeInstanceOf(KeyIntegrityError);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-keys-'));
    const local = new LocalKeyProvider({ dataDir: dir });
    try {
      await local.init();
      const lw = await local.wrap(randomBytes(DEK_BYTES), aadA);
      await expect(a.unwrap(lw, aadA)).rejects.toThrow(/not made by this key provider/);
    } finally {
      await local.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rotates: a new KEK version in the token becomes current, older DEKs still unwrap, and a restart keeps it', async () => {
    const sut = await make(tokenA);
    const before = sut.currentKekVersion();
    const dek1 = randomBytes(DEK_BYTES);
    const w1 = await sut.wrap(dek1, aadA);
    const v = await sut.rotateKek();
    expect(v).toBe(before + 1);
    expect(sut.currentKekVersion()).toBe(v);
    inspect(tokenA, (p, session) => expect(findByLabel(p, session, `charlotte-kek-v${v}`)).toHaveLength(1));
    const dek2 = randomBytes(DEK_BYTES);
    const w2 = await sut.wrap(dek2, aadA);
    expect(w2.kekVersion).toBe(v);
    expect(await sut.unwrap(w1, aadA)).toEqual(dek1);
    // A changed kekVersion does not open with the other KEK.
    await expect(sut.unwrap({ ...w1, kekVersion: v }, aadA)).rejects.toBeInstanceOf(KeyIntegrityError);
    await expect(sut.unwrap({ ...w1, kekVersion: v + 5 }, aadA)).rejects.toBeInstanceOf(KeyUnavailableError);

    await sut.close();
    open.splice(open.indexOf(sut), 1);
    const restarted = await make(tokenA);
    expect(restarted.currentKekVersion()).toBe(v);
    expect(await restarted.unwrap(w1, aadA)).toEqual(dek1);
    expect(await restarted.unwrap(w2, aadA)).toEqual(dek2);
  });

  it('unwraps with a KEK version another instance created after it started', async () => {
    const a = await make(tokenA);
    const b = await make(tokenA);
    const v = await b.rotateKek();
    const dek = randomBytes(DEK_BYTES);
    const w = await b.wrap(dek, aadA);
    expect(a.currentKekVersion()).toBe(v - 1);
    expect(await a.unwrap(w, aadA)).toEqual(dek);
    expect(a.currentKekVersion()).toBe(v);
  });

  it('uses its own label prefix', async () => {
    const sut = await make(tokenB, { keyLabelPrefix: 'other-kek' });
    expect(sut.currentKekVersion()).toBe(1);
    inspect(tokenB, (p, session) => expect(findByLabel(p, session, 'other-kek-v1')).toHaveLength(1));
  });

  it('refuses a wrong PIN or an unknown token without naming the PIN', async () => {
    const wrongPin = new Pkcs11KeyProvider(optionsFor(tokenA, { pin: 'wrong-pin-1234' }));
    const err = await wrongPin.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KeyUnavailableError);
    expect((err as Error).message).toMatch(/CKR_PIN_INCORRECT/);
    expect((err as Error).message).not.toContain('wrong-pin-1234');
    await expect(new Pkcs11KeyProvider(optionsFor(tokenA, { tokenLabel: 'no-such-token' })).init()).rejects.toThrow(
      /no PKCS#11 token labelled "no-such-token"/,
    );
    await expect(new Pkcs11KeyProvider(optionsFor(tokenA, { libraryPath: '/nonexistent/libpkcs11.so' })).init()).rejects.toBeInstanceOf(
      KeyUnavailableError,
    );
    // A failed init leaves the library usable for the next provider.
    const ok = await make(tokenA);
    expect(ok.currentKekVersion()).toBeGreaterThanOrEqual(1);
  });

  it('refuses to work before init and after close', async () => {
    const sut = new Pkcs11KeyProvider(optionsFor(tokenA));
    expect(() => sut.currentKekVersion()).toThrow(KeyUnavailableError);
    await sut.init();
    await sut.close();
    await expect(sut.wrap(randomBytes(DEK_BYTES), aadA)).rejects.toThrow(/closed/);
  });

  describe('Ed25519 signing key (SoftHSM 2.6 with OpenSSL 3: CKM_EDDSA)', () => {
    it('signs inside the token with a key node:crypto verifies, and keeps the key across restarts', async () => {
      const sut = await make(tokenA, { signingKey: {} });
      const raw = sut.ed25519PublicKeyRaw();
      expect(raw).toHaveLength(32);
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
      const message = Buffer.from('checkpoint|tenant-a|42|abc');
      const sig = await sut.signEd25519(message);
      expect(sig).toHaveLength(64);
      expect(verify(null, message, publicKey, sig)).toBe(true);
      expect(verify(null, Buffer.from('checkpoint|tenant-a|43|abc'), publicKey, sig)).toBe(false);

      inspect(tokenA, (p, session) => {
        const objects = findByLabel(p, session, 'charlotte-signing-ed25519');
        expect(objects).toHaveLength(2); // private + public
        const priv = objects.find(
          (o) => p.C_GetAttributeValue(session, o, [{ type: pkcs11js.CKA_CLASS }])[0].value!.readUInt32LE(0) === pkcs11js.CKO_PRIVATE_KEY,
        )!;
        expect(() => p.C_GetAttributeValue(session, priv, [{ type: pkcs11js.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      });

      await sut.close();
      open.splice(open.indexOf(sut), 1);
      const restarted = await make(tokenA, { signingKey: {} });
      expect(restarted.ed25519PublicKeyRaw()).toEqual(raw);
    });

    it('is absent unless asked for', async () => {
      const sut = await make(tokenB);
      await expect(sut.signEd25519(Buffer.from('x'))).rejects.toBeInstanceOf(KeyUnavailableError);
      expect(() => sut.ed25519PublicKeyRaw()).toThrow(KeyUnavailableError);
    });
  });
});
