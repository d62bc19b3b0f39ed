import { randomBytes } from 'node:crypto';
import type { Transform } from 'node:stream';
import type { SealContext } from './aad';
import { CryptoError, SealedArgumentError, SealedFormatError, SealedIntegrityError, SealedTruncatedError } from './errors';
import { peekKeyVersion, sealValue } from './sealed-value';
import {
  createOpenStream,
  createSealStream,
  DEFAULT_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  SEALED_CHUNK_OVERHEAD,
  SEALED_STREAM_HEADER_BYTES,
  sealedStreamSize,
} from './sealed-stream';

const ctx: SealContext = { tenantId: '3f0c2a4e-0000-4000-8000-000000000001', purpose: 'attachment.content', recordId: 'att-7' };
const dek = randomBytes(32);
const KV = 7;
const byVersion = (v: number) => {
  if (v !== KV) throw new Error(`no DEK version ${v}`);
  return dek;
};
const CS = 256; // small chunks: many records from little data

type ErrorClass = new (message: string) => CryptoError;

/** Deterministic PRNG (mulberry32) so random slice sizes reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `buf` cut into pieces of `size()` bytes (the last one shorter). */
function* slices(buf: Buffer, size: () => number): Generator<Buffer> {
  for (let off = 0; off < buf.length;) {
    const n = Math.max(1, size());
    yield buf.subarray(off, off + n);
    off += n;
  }
}

/**
 * Writes `pieces` into `sut` one at a time (waiting for each write), and returns
 * every byte it emitted ('data' events, so nothing pushed before an error is
 * lost in a consumer's buffer) and the error, if any.
 */
function run(sut: Transform, pieces: Iterable<Buffer>): Promise<{ output: Buffer; error?: unknown }> {
  const out: Buffer[] = [];
  return new Promise((resolve) => {
    sut.on('data', (c: Buffer) => out.push(c));
    sut.on('error', (error) => resolve({ output: Buffer.concat(out), error }));
    sut.on('end', () => resolve({ output: Buffer.concat(out) }));
    void (async () => {
      for (const piece of pieces) {
        if (sut.destroyed) return;
        await new Promise<void>((done) => sut.write(piece, () => done()));
      }
      if (!sut.destroyed) sut.end();
    })();
  });
}

async function seal(plaintext: Buffer, chunkSize = CS, size: () => number = () => 4096, c: SealContext = ctx): Promise<Buffer> {
  const { output, error } = await run(createSealStream(dek, KV, c, { chunkSize }), slices(plaintext, size));
  if (error) throw error;
  return output;
}

async function open(
  sealed: Buffer,
  c: SealContext = ctx,
  getDek: (v: number) => Buffer | Promise<Buffer> = byVersion,
  size: () => number = () => 4096,
) {
  return run(createOpenStream(getDek, c), slices(sealed, size));
}

/** Opening must fail with exactly `want`, having emitted at most a strict prefix of `plaintext`. */
async function expectRefused(sealed: Buffer, plaintext: Buffer, want: ErrorClass, c: SealContext = ctx, getDek = byVersion) {
  const { output, error } = await open(sealed, c, getDek);
  expect(error).toBeInstanceOf(want);
  expect(output.length).toBeLessThan(Math.max(1, plaintext.length));
  expect(output.equals(plaintext.subarray(0, output.length))).toBe(true);
  return output;
}

/** Record boundaries of a sealed stream: [start, end) of each chunk record. */
function records(sealed: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let off = SEALED_STREAM_HEADER_BYTES; off < sealed.length;) {
    const end = off + 5 + sealed.readUInt32BE(off + 1) + 16;
    out.push([off, end]);
    off = end;
  }
  return out;
}

describe(createSealStream.name, () => {
  it.each([
    ['0 bytes', 0, 1],
    ['1 byte', 1, 1],
    ['exactly one chunk', CS, 1],
    ['one chunk + 1', CS + 1, 2],
    ['exactly two chunks', 2 * CS, 2],
    ['a few chunks', 5 * CS + 17, 6],
  ])('round-trips %s (%d bytes) in %d chunk(s)', async (_what, n, chunks) => {
    const plaintext = randomBytes(n);
    const sealed = await seal(plaintext);
    expect(sealed.length).toBe(sealedStreamSize(n, CS));
    expect(records(sealed)).toHaveLength(chunks);
    expect(sealed[records(sealed).at(-1)![0]]).toBe(0x01); // only the last record is final
    const { output, error } = await open(sealed);
    expect(error).toBeUndefined();
    expect(output.equals(plaintext)).toBe(true);
  });

  it('round-trips a few MiB with the default chunk size, written and read in random slice sizes', async () => {
    const plaintext = randomBytes(3 * 1024 * 1024 + 12345);
    const r = prng(42);
    // A mix of tiny and large writes: boundaries fall anywhere inside headers, prefixes, chunks and tags.
    const size = () => (r() < 0.3 ? 1 + Math.floor(r() * 64) : Math.floor(r() * 200_000));
    const sealed = await seal(plaintext, DEFAULT_CHUNK_SIZE, size);
    expect(sealed.length).toBe(sealedStreamSize(plaintext.length));
    const { output, error } = await open(sealed, ctx, byVersion, size);
    expect(error).toBeUndefined();
    expect(output.equals(plaintext)).toBe(true);
  });

  it('round-trips large writes in both directions, handing out no piece larger than 64 KiB', async () => {
    // Issue 20: a fresh Buffer above malloc's mmap threshold costs page faults, so the
    // cipher works (and its outputs come) in at most 64 KiB, however large the writes.
    const plaintext = randomBytes(3 * 1024 * 1024 + 777);
    const chunkSize = 1024 * 1024;
    const sealWrites = slices(plaintext, () => 3 * 1024 * 1024);
    const sealed = await run(createSealStream(dek, KV, ctx, { chunkSize }), sealWrites);
    expect(sealed.error).toBeUndefined();
    const pieces: number[] = [];
    const opener = createOpenStream(byVersion, ctx);
    opener.on('data', (c: Buffer) => pieces.push(c.length));
    const { output, error } = await run(
      opener,
      slices(sealed.output, () => 2 * 1024 * 1024),
    );
    expect(error).toBeUndefined();
    expect(output.equals(plaintext)).toBe(true);
    expect(Math.max(...pieces)).toBeLessThanOrEqual(64 * 1024);
  });

  it('works one byte at a time, both ways', async () => {
    const plaintext = randomBytes(3 * CS + 5);
    const sealed = await seal(plaintext, CS, () => 1);
    const { output, error } = await open(sealed, ctx, byVersion, () => 1);
    expect(error).toBeUndefined();
    expect(output.equals(plaintext)).toBe(true);
  });

  it('works one byte at a time with the default chunk size', async () => {
    const plaintext = randomBytes(DEFAULT_CHUNK_SIZE + 100);
    const sealed = await seal(plaintext, DEFAULT_CHUNK_SIZE, () => 1);
    const { output, error } = await open(sealed, ctx, byVersion, () => 1);
    expect(error).toBeUndefined();
    expect(output.equals(plaintext)).toBe(true);
  });

  it('writes the documented header and a fresh salt per stream', async () => {
    const a = await seal(Buffer.from('x'));
    const b = await seal(Buffer.from('x'));
    expect(a.subarray(0, 12).toString('hex')).toBe('43485301' + '00000007' + '00000100');
    expect(peekKeyVersion(a)).toBe(KV);
    expect(a.subarray(12, 28).equals(b.subarray(12, 28))).toBe(false);
    expect(a.subarray(28).equals(b.subarray(28))).toBe(false);
  });

  it.each([
    ['a 31-byte DEK', () => createSealStream(randomBytes(31), 1, ctx)],
    ['a key version over uint32', () => createSealStream(dek, 2 ** 32, ctx)],
    ['a chunk size below the minimum', () => createSealStream(dek, 1, ctx, { chunkSize: 255 })],
    ['a chunk size above the maximum', () => createSealStream(dek, 1, ctx, { chunkSize: MAX_CHUNK_SIZE + 1 })],
    ['an invalid context', () => createSealStream(dek, 1, { ...ctx, tenantId: '' })],
  ])('refuses %s', (_what, fn) => {
    expect(fn).toThrow(SealedArgumentError);
  });
});

describe(sealedStreamSize.name, () => {
  it('computes header + plaintext + 21 bytes per chunk, with at least one chunk', () => {
    expect(sealedStreamSize(0)).toBe(SEALED_STREAM_HEADER_BYTES + SEALED_CHUNK_OVERHEAD);
    expect(sealedStreamSize(DEFAULT_CHUNK_SIZE)).toBe(28 + DEFAULT_CHUNK_SIZE + 21);
    expect(sealedStreamSize(DEFAULT_CHUNK_SIZE + 1)).toBe(28 + DEFAULT_CHUNK_SIZE + 1 + 42);
    // 256 KiB chunks by default; 64 KiB ones (the former default) when asked for.
    expect(sealedStreamSize(100 * 1024 * 1024)).toBe(28 + 100 * 1024 * 1024 + 400 * 21);
    expect(sealedStreamSize(100 * 1024 * 1024, 64 * 1024)).toBe(28 + 100 * 1024 * 1024 + 1600 * 21);
    expect(() => sealedStreamSize(-1)).toThrow(SealedArgumentError);
    expect(() => sealedStreamSize(1.5)).toThrow(SealedArgumentError);
    expect(() => sealedStreamSize(1, 10)).toThrow(SealedArgumentError);
  });
});

describe(createOpenStream.name, () => {
  // 3 full chunks + a final chunk of 88 bytes.
  const plaintext = randomBytes(3 * CS + 88);
  let sealed: Buffer;
  let recs: Array<[number, number]>;
  const cut = (...parts: Array<[number, number?]>) => Buffer.concat(parts.map(([s, e]) => sealed.subarray(s, e)));

  beforeAll(async () => {
    sealed = await seal(plaintext);
    recs = records(sealed);
    expect(recs).toHaveLength(4);
  });

  it('opens a stream sealed with a pinned key (format stability)', async () => {
    const fixedDek = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const fixedCtx: SealContext = { tenantId: 'tenant-a', purpose: 'attachment.content', recordId: 'att-1' };
    const { output, error } = await open(Buffer.from(PINNED_STREAM_HEX, 'hex'), fixedCtx, () => fixedDek);
    expect(error).toBeUndefined();
    expect(output.toString('utf8')).toBe('charlotte '.repeat(30));
  });

  it('opens a stream sealed with the former default chunk size of 64 KiB (format stability)', async () => {
    expect(DEFAULT_CHUNK_SIZE).not.toBe(64 * 1024);
    const fixedDek = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const fixedCtx: SealContext = { tenantId: 'tenant-a', purpose: 'attachment.content', recordId: 'att-64k' };
    const sealed64k = Buffer.from(PINNED_64K_STREAM_HEX, 'hex');
    expect(sealed64k.readUInt32BE(8)).toBe(64 * 1024);
    const { output, error } = await open(sealed64k, fixedCtx, (v) => {
      expect(v).toBe(3);
      return fixedDek;
    });
    expect(error).toBeUndefined();
    expect(output.toString('utf8')).toBe('64 KiB chunks, the default until 2026-12 '.repeat(2));
  });

  it('refuses every single flipped byte with the error of the field it hit, emitting only authenticated chunks', async () => {
    const [final] = recs.slice(-1);
    const expected = (pos: number): ErrorClass => {
      if (pos < 4) return SealedFormatError; // magic, version
      if (pos < 8) return SealedIntegrityError; // DEK version: authenticated (getDek answers any version here)
      if (pos < 12) return SealedFormatError; // chunk size: no longer matches the records' lengths, or out of range
      if (pos < 28) return SealedIntegrityError; // salt: another subkey
      const [start] = recs.find(([s, e]) => pos >= s && pos < e)!;
      const isFinal = start === final[0];
      if (pos === start) return isFinal ? SealedFormatError : SealedIntegrityError; // final->more: bad length; more->final: fails GCM
      if (pos < start + 5) {
        // length: 256 ^ any single bit is not 256; final's 88 ^ 1 = 89 then wants a byte that never comes.
        return isFinal && pos === start + 4 ? SealedTruncatedError : SealedFormatError;
      }
      return SealedIntegrityError; // ciphertext, tag
    };
    for (let pos = 0; pos < sealed.length; pos++) {
      const bad = Buffer.from(sealed);
      bad[pos] ^= 0x01;
      const { output, error } = await open(bad, ctx, () => dek);
      const want = expected(pos);
      if (!(error instanceof want)) throw new Error(`byte ${pos}: expected ${want.name}, got ${String(error)}`);
      // Never the final chunk, never unauthenticated bytes: a strict prefix of the plaintext, at a chunk boundary.
      expect(output.length % CS).toBe(0);
      expect(output.length).toBeLessThan(plaintext.length);
      expect(output.equals(plaintext.subarray(0, output.length))).toBe(true);
    }
  });

  it('emits exactly the chunks before a tampered one', async () => {
    const bad = Buffer.from(sealed);
    bad[recs[2][0] + 10] ^= 0x40;
    const output = await expectRefused(bad, plaintext, SealedIntegrityError);
    expect(output.equals(plaintext.subarray(0, 2 * CS))).toBe(true);
  });

  it('refuses a flipped tag byte in each chunk', async () => {
    for (const [, end] of recs) {
      const bad = Buffer.from(sealed);
      bad[end - 1] ^= 0x01;
      await expectRefused(bad, plaintext, SealedIntegrityError);
    }
  });

  it('refuses two swapped chunks', async () => {
    const swapped = cut([0, recs[0][0]], recs[1], recs[0], [recs[2][0]]);
    const output = await expectRefused(swapped, plaintext, SealedIntegrityError);
    expect(output.length).toBe(0);
  });

  it('refuses a dropped middle chunk', async () => {
    const dropped = cut([0, recs[1][0]], [recs[2][0]]);
    const output = await expectRefused(dropped, plaintext, SealedIntegrityError);
    expect(output.equals(plaintext.subarray(0, CS))).toBe(true);
  });

  it('refuses a duplicated chunk', async () => {
    await expectRefused(cut([0, recs[1][1]], recs[1], [recs[2][0]]), plaintext, SealedIntegrityError);
  });

  it('refuses a dropped final chunk as truncated', async () => {
    const output = await expectRefused(sealed.subarray(0, recs[3][0]), plaintext, SealedTruncatedError);
    expect(output.equals(plaintext.subarray(0, 3 * CS))).toBe(true);
  });

  it('refuses a stream cut at any byte', async () => {
    for (let len = 1; len < sealed.length; len++) {
      const { error } = await open(sealed.subarray(0, len));
      if (!(error instanceof SealedTruncatedError)) throw new Error(`cut at ${len}: got ${String(error)}`);
    }
  });

  it.each([
    ['one byte', () => Buffer.of(0)],
    ['a copy of the final chunk', () => sealed.subarray(recs[3][0])],
    ['a whole second stream', () => sealed],
  ])('refuses %s after the final chunk as truncated, without emitting the final chunk', async (_what, extra) => {
    const output = await expectRefused(Buffer.concat([sealed, extra()]), plaintext, SealedTruncatedError);
    expect(output.equals(plaintext.subarray(0, 3 * CS))).toBe(true);
  });

  it('refuses data after the final chunk arriving in a later write', async () => {
    const { output, error } = await run(createOpenStream(byVersion, ctx), [sealed, Buffer.of(1, 2, 3)]);
    expect(error).toBeInstanceOf(SealedTruncatedError);
    expect(output.length).toBe(3 * CS);
  });

  it('refuses a chunk spliced in from another stream of the same record and key', async () => {
    const other = await seal(randomBytes(plaintext.length));
    const otherRecs = records(other);
    const spliced = Buffer.concat([sealed.subarray(0, recs[1][0]), other.subarray(...otherRecs[1]), sealed.subarray(recs[2][0])]);
    await expectRefused(spliced, plaintext, SealedIntegrityError);
  });

  it.each([
    ['another tenant', { ...ctx, tenantId: '3f0c2a4e-0000-4000-8000-000000000002' }],
    ['another purpose', { ...ctx, purpose: 'document.content' }],
    ['another record', { ...ctx, recordId: 'att-8' }],
  ])('refuses a stream moved to %s', async (_what, other) => {
    const output = await expectRefused(sealed, plaintext, SealedIntegrityError, other);
    expect(output.length).toBe(0);
  });

  it('refuses the wrong DEK', async () => {
    await expectRefused(sealed, plaintext, SealedIntegrityError, ctx, () => randomBytes(32));
  });

  it('refuses a key version rewritten to another (even the same) DEK', async () => {
    const relabelled = Buffer.from(sealed);
    relabelled.writeUInt32BE(KV + 1, 4);
    await expectRefused(relabelled, plaintext, SealedIntegrityError, ctx, () => dek);
  });

  it('opens with an asynchronous key lookup and passes it the stored version', async () => {
    const asked: number[] = [];
    const { output, error } = await open(sealed, ctx, async (v) => {
      asked.push(v);
      await new Promise((r) => setTimeout(r, 5));
      return dek;
    });
    expect(error).toBeUndefined();
    expect(output.equals(plaintext)).toBe(true);
    expect(asked).toEqual([KV]);
  });

  it("lets the key lookup's own error through unchanged", async () => {
    const lookupError = new Error('no DEK version 7 for this tenant');
    const { error } = await open(sealed, ctx, () => Promise.reject(lookupError));
    expect(error).toBe(lookupError);
  });

  it('refuses a DEK of the wrong size from getDek', async () => {
    const { error } = await open(sealed, ctx, () => randomBytes(16));
    expect(error).toBeInstanceOf(SealedArgumentError);
  });

  it.each([
    ['an unknown format version', () => Buffer.concat([Buffer.from('CHS\u0002', 'latin1'), sealed.subarray(4)])],
    ['another magic', () => Buffer.concat([Buffer.from('PK\u0003\u0004', 'latin1'), sealed.subarray(4)])],
    ['a sealed value', () => sealValue(dek, KV, ctx, randomBytes(100))],
    ['plain bytes', () => Buffer.from('%PDF-1.7 not sealed at all, just a document')],
    ['empty input', () => Buffer.alloc(0)],
    ['two bytes that are not ours', () => Buffer.from('PK')],
    ['a chunk size over the maximum', () => Buffer.concat([sealed.subarray(0, 8), Buffer.from('01000001', 'hex'), sealed.subarray(12)])],
    ['a chunk size below the minimum', () => Buffer.concat([sealed.subarray(0, 8), Buffer.from('00000010', 'hex'), sealed.subarray(12)])],
    ['an unknown chunk flag', () => Buffer.concat([sealed.subarray(0, 28), Buffer.of(0x02), sealed.subarray(29)])],
    ['a final chunk claiming 4 GiB', () => Buffer.concat([sealed.subarray(0, 28), Buffer.from('01ffffffff', 'hex'), sealed.subarray(33)])],
  ])('refuses %s as not our format', async (_what, input) => {
    const { output, error } = await open(input());
    expect(error).toBeInstanceOf(SealedFormatError);
    expect(output.length).toBe(0);
  });

  it('refuses an invalid context at once', () => {
    expect(() => createOpenStream(byVersion, { ...ctx, purpose: 'no spaces' })).toThrow(SealedArgumentError);
  });

  it('only ever fails with CryptoError subclasses on random input', async () => {
    const r = prng(7);
    for (let i = 0; i < 100; i++) {
      const junk = randomBytes(Math.floor(r() * 2000));
      if (i % 2) Buffer.from('CHS\u0001\u0000\u0000\u0000\u0007\u0000\u0000\u0001\u0000', 'latin1').copy(junk);
      const { error } = await open(junk, ctx, () => dek);
      expect(error).toBeInstanceOf(CryptoError);
    }
  });
});

/**
 * createSealStream(000102..1f, 3, {tenant-a, attachment.content, att-64k}, {chunkSize: 65536}) over
 * '64 KiB chunks, the default until 2026-12 ' x 2, made once with the code of that time.
 */
const PINNED_64K_STREAM_HEX =
  '434853010000000300010000953244fb02bf85840d324fe15475166701000000521288e5345cf20efdccb5df0b7c6cd3ce78e36783f189337122ec4c0e0fa5c0a6f22764daf257a5a48cd118421741904bf931e9ed431b4c091519bed5c923c2685f6dc645f52547b51a31af12d08c7015219576cbb54706deb92e720fdfdade2608d1';

/** createSealStream(000102..1f, 5, {tenant-a, attachment.content, att-1}, {chunkSize: 256}) over 'charlotte ' x 30, made once. */
const PINNED_STREAM_HEX =
  '434853010000000500000100a271f9886be658b62c2dda7596e8bfa300000001009a50b46a9aee108d68a71be7d39e00c80c7c8681f34fabc2d4055331bbd5025ab4a41d7c3c1e6869b0fad66a8c147f92004affeb5d392e1cb4d5465ad6d6322f31055038cc8bd2677c8760c4983b4e92c509714437d988f20a89d07e0b17d6d2cb316fdbd287dbdf4909594162fcaa3d92c6d8b89bb7b30f73f50b09859781bd31cacc9d5cd5fe0dcfb8181a2e0ced914a3366ba54804911e6229e76e34720fa76282988a59faee61b0d18aed0242f50f6637e63ce2679f7582cc89c4d56715bce261ae480aef10f712eb40e643ad3c8ae30ce410cb471c2cf2884498d105252b22caff4fbd75b70122d84c5aabb503ebd48b177c9bca820419ada21d74c7636eb0bef0591612eefa8aa7ec35b3bde64010000002c067efb6955f62bc48a17b3ba0256b5c7f912480db2edf1a8cbf1bebff60b0704dc0815967125da4800e097c92dd2b7b3febf255aba2942e5506235e9';
