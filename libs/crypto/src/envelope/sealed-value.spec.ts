import { randomBytes } from 'node:crypto';
import type { SealContext } from './aad';
import { CryptoError, SealedArgumentError, SealedFormatError, SealedIntegrityError } from './errors';
import { MAX_SEALED_VALUE_BYTES, openValue, openValueAsync, peekKeyVersion, SEALED_VALUE_OVERHEAD, sealValue } from './sealed-value';

const ctx: SealContext = { tenantId: '3f0c2a4e-0000-4000-8000-000000000001', purpose: 'application.form_data', recordId: 'app-42' };
const dek = randomBytes(32);
const byVersion = (v: number) => {
  if (v !== 7) throw new Error(`no DEK version ${v}`);
  return dek;
};

/** The error `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, nothing was thrown');
}

describe(sealValue.name, () => {
  it.each([0, 1, 1000, MAX_SEALED_VALUE_BYTES])('round-trips %d bytes', (n) => {
    const plaintext = randomBytes(n);
    const sut = sealValue(dek, 7, ctx, plaintext);
    expect(sut.length).toBe(n + SEALED_VALUE_OVERHEAD);
    expect(sut.subarray(0, 4).toString('latin1')).toBe('CHV\u0001');
    expect(peekKeyVersion(sut)).toBe(7);
    expect(openValue(byVersion, ctx, sut).equals(plaintext)).toBe(true);
  });

  it('uses a fresh IV every time, so equal plaintexts give different ciphertexts', () => {
    const p = Buffer.from('same');
    const a = sealValue(dek, 7, ctx, p);
    const b = sealValue(dek, 7, ctx, p);
    expect(a.subarray(8, 20).equals(b.subarray(8, 20))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('refuses a value over the size limit', () => {
    expect(() => sealValue(dek, 7, ctx, Buffer.alloc(MAX_SEALED_VALUE_BYTES + 1))).toThrow(SealedArgumentError);
  });

  it.each([
    ['a 16-byte DEK', () => sealValue(randomBytes(16), 1, ctx, Buffer.alloc(1))],
    ['a non-Buffer DEK', () => sealValue('k'.repeat(32) as unknown as Buffer, 1, ctx, Buffer.alloc(1))],
    ['a negative key version', () => sealValue(dek, -1, ctx, Buffer.alloc(1))],
    ['a key version over uint32', () => sealValue(dek, 2 ** 32, ctx, Buffer.alloc(1))],
    ['a fractional key version', () => sealValue(dek, 1.5, ctx, Buffer.alloc(1))],
    ['an invalid purpose', () => sealValue(dek, 1, { ...ctx, purpose: 'Bad' }, Buffer.alloc(1))],
    ['a string plaintext', () => sealValue(dek, 1, ctx, 'text' as unknown as Buffer)],
  ])('refuses %s', (_what, fn) => {
    expect(fn).toThrow(SealedArgumentError);
  });
});

describe(openValue.name, () => {
  const plaintext = Buffer.from('氏名: 山田太郎, 基礎年金番号: 1234-567890');
  const sealed = sealValue(dek, 7, ctx, plaintext);

  it('opens a value sealed with a pinned key (format stability)', () => {
    const fixedDek = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const fixedCtx: SealContext = { tenantId: 'tenant-a', purpose: 'application.form_data', recordId: 'rec-1' };
    const pinned = Buffer.from(PINNED_VALUE_HEX, 'hex');
    expect(peekKeyVersion(pinned)).toBe(3);
    expect(openValue(() => fixedDek, fixedCtx, pinned).toString('utf8')).toBe('charlotte');
  });

  it('refuses every single flipped byte with the error of the field it hit', () => {
    for (let pos = 0; pos < sealed.length; pos++) {
      for (const mask of [0x01, 0x80]) {
        const bad = Buffer.from(sealed);
        bad[pos] ^= mask;
        // getDek answers for any version, so a changed key-version byte reaches GCM and must fail there (header in the AAD).
        const e = thrown(() => openValue(() => dek, ctx, bad));
        const want = pos < 4 ? SealedFormatError : SealedIntegrityError;
        if (!(e instanceof want)) throw new Error(`byte ${pos} ^ ${mask}: expected ${want.name}, got ${String(e)}`);
      }
    }
  });

  it('refuses every truncation', () => {
    for (let len = 0; len < sealed.length; len++) {
      const e = thrown(() => openValue(byVersion, ctx, sealed.subarray(0, len)));
      expect(e).toBeInstanceOf(len < SEALED_VALUE_OVERHEAD ? SealedFormatError : SealedIntegrityError);
    }
  });

  it('refuses appended bytes', () => {
    expect(() => openValue(byVersion, ctx, Buffer.concat([sealed, Buffer.of(0)]))).toThrow(SealedIntegrityError);
  });

  it.each([
    ['another tenant', { ...ctx, tenantId: '3f0c2a4e-0000-4000-8000-000000000002' }],
    ['another purpose', { ...ctx, purpose: 'attachment.name' }],
    ['another record', { ...ctx, recordId: 'app-43' }],
  ])('refuses a value moved to %s', (_what, other) => {
    expect(() => openValue(byVersion, other, sealed)).toThrow(SealedIntegrityError);
  });

  it("refuses when field boundaries move: ('a','bc') is not ('ab','c')", () => {
    const v = sealValue(dek, 7, { tenantId: 'a', purpose: 'bc', recordId: 'r' }, plaintext);
    expect(() => openValue(byVersion, { tenantId: 'ab', purpose: 'c', recordId: 'r' }, v)).toThrow(SealedIntegrityError);
  });

  it('refuses the wrong DEK', () => {
    expect(() => openValue(() => randomBytes(32), ctx, sealed)).toThrow(SealedIntegrityError);
  });

  it('refuses a key version rewritten to another existing version', () => {
    const dek8 = randomBytes(32);
    const keys = new Map([
      [7, dek],
      [8, dek8],
    ]);
    const relabelled = Buffer.from(sealed);
    relabelled.writeUInt32BE(8, 4);
    let asked = -1;
    expect(() =>
      openValue(
        (v) => {
          asked = v;
          return keys.get(v)!;
        },
        ctx,
        relabelled,
      ),
    ).toThrow(SealedIntegrityError);
    expect(asked).toBe(8);
    // Same DEK behind both versions: still refused, the version is authenticated.
    expect(() => openValue(() => dek, ctx, relabelled)).toThrow(SealedIntegrityError);
  });

  it('passes the stored key version to getDek and lets its error through unchanged', () => {
    const v9 = sealValue(dek, 9, ctx, plaintext);
    expect(() => openValue(byVersion, ctx, v9)).toThrow('no DEK version 9');
  });

  it.each([
    ['an unknown format version', Buffer.concat([Buffer.from('CHV\u0002', 'latin1'), sealed.subarray(4)])],
    ['another magic', Buffer.concat([Buffer.from('XYZ\u0001', 'latin1'), sealed.subarray(4)])],
    ['a sealed stream header', Buffer.concat([Buffer.from('CHS\u0001', 'latin1'), sealed.subarray(4)])],
    ['plain text', Buffer.from('{"name":"山田太郎","note":"not encrypted at all"}')],
    ['an empty buffer', Buffer.alloc(0)],
    ['an oversized value', Buffer.concat([sealed.subarray(0, 20), Buffer.alloc(MAX_SEALED_VALUE_BYTES + SEALED_VALUE_OVERHEAD)])],
  ])('refuses %s as not our format', (_what, bad) => {
    expect(() => openValue(byVersion, ctx, bad)).toThrow(SealedFormatError);
  });

  it('refuses a DEK of the wrong size from getDek, and a Promise from a synchronous lookup', () => {
    expect(() => openValue(() => randomBytes(16), ctx, sealed)).toThrow(SealedArgumentError);
    expect(() => openValue((() => Promise.resolve(dek)) as unknown as () => Buffer, ctx, sealed)).toThrow(SealedArgumentError);
  });

  it('refuses an invalid context before touching the key', () => {
    const getDek = jest.fn(() => dek);
    expect(() => openValue(getDek, { ...ctx, recordId: '' }, sealed)).toThrow(SealedArgumentError);
    expect(getDek).not.toHaveBeenCalled();
  });

  it('only ever throws CryptoError subclasses for damaged input', () => {
    for (let i = 0; i < 200; i++) {
      const junk = randomBytes(i);
      expect(thrown(() => openValue(() => dek, ctx, junk))).toBeInstanceOf(CryptoError);
    }
  });
});

describe(openValueAsync.name, () => {
  const sealed = sealValue(dek, 7, ctx, Buffer.from('async'));

  it('opens with an asynchronous key lookup', async () => {
    const sut = await openValueAsync(async (v) => byVersion(v), ctx, sealed);
    expect(sut.toString()).toBe('async');
  });

  it('rejects tampering, wrong context and bad format with typed errors', async () => {
    const bad = Buffer.from(sealed);
    bad[bad.length - 1] ^= 1;
    await expect(openValueAsync(async () => dek, ctx, bad)).rejects.toThrow(SealedIntegrityError);
    await expect(openValueAsync(async () => dek, { ...ctx, tenantId: 'other' }, sealed)).rejects.toThrow(SealedIntegrityError);
    await expect(openValueAsync(async () => dek, ctx, Buffer.from('nope'))).rejects.toThrow(SealedFormatError);
    await expect(openValueAsync(async () => randomBytes(32), ctx, sealed)).rejects.toThrow(SealedIntegrityError);
  });
});

describe(peekKeyVersion.name, () => {
  it('reads the key version of values and stream headers, and refuses anything else', () => {
    expect(peekKeyVersion(sealValue(dek, 0xfffffffe, ctx, Buffer.alloc(0)))).toBe(0xfffffffe);
    expect(peekKeyVersion(Buffer.from('434853010000002a', 'hex'))).toBe(42);
    expect(() => peekKeyVersion(Buffer.from('4348560100', 'hex'))).toThrow(SealedFormatError);
    expect(() => peekKeyVersion(Buffer.from('434856020000002a', 'hex'))).toThrow(SealedFormatError);
    expect(() => peekKeyVersion(Buffer.from('hello world'))).toThrow(SealedFormatError);
  });
});

/** sealValue(000102..1f, 3, {tenant-a, application.form_data, rec-1}, 'charlotte'), made once; must keep opening. */
const PINNED_VALUE_HEX = '4348560100000003e91e69410c92ebb47f501b576364d70dc6d46f609ebeff542117dd038a8584815c21482221';
