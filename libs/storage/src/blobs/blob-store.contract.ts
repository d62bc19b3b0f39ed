/// <reference types="jest" />
// Test-only: the behaviour every BlobStore must show, written once and run by
// fs-blob-store.int-spec.ts and s3-blob-store.int-spec.ts. The reference above
// gives this file jest's globals in builds whose `types` leave them out (the
// app build compiles every file of libs/*/src that is not a spec; nothing
// there imports this one).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobExistsError, BlobInfo, BlobNotFoundError, BlobStore, InvalidBlobKeyError } from './blob-store';

export interface BlobStoreFixture {
  sut: BlobStore;
  /**
   * Traces a failed put may leave behind in the backend: temp files (fs),
   * unfinished multipart uploads (S3). Must be [] after every failure.
   */
  leftovers(): Promise<string[]>;
  /** The bytes exactly as the backend keeps them (the file; s3rver's object file): proves no framing was added. */
  storedBytes(key: string): Promise<Buffer>;
  close(): Promise<void>;
}

export const MiB = 1024 * 1024;

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A fresh key namespace per test, so tests never see each other's blobs. */
export const freshPrefix = (): string => `t-${randomUUID()}`;

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export async function collect(it: AsyncIterable<BlobInfo>): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const info of it) out.push(info);
  return out;
}

export interface TestSource {
  body: AsyncGenerator<Buffer>;
  /** SHA-256 of every byte yielded so far. */
  sha256(): string;
  /** Whether the store asked for the first chunk. */
  readonly pulled: boolean;
  /** Whether the generator was closed or finished. */
  readonly closed: boolean;
}

/**
 * Random bytes in irregular chunk sizes (1 B … 128 KiB, so part boundaries
 * fall inside chunks). With `failAfter`, throws `error` once that many bytes
 * were yielded. `beforeFirst` runs when the store first pulls (used to race).
 */
export function testSource(total: number, opts: { failAfter?: number; error?: Error; beforeFirst?: () => Promise<void> } = {}): TestSource {
  const hash = createHash('sha256');
  const sizes = [65_536, 1, 131_071, 7_777, 100_003];
  const state = { pulled: false, closed: false };
  async function* generate(): AsyncGenerator<Buffer> {
    state.pulled = true;
    try {
      await opts.beforeFirst?.();
      let sent = 0;
      for (let i = 0; sent < total; i++) {
        if (opts.failAfter !== undefined && sent >= opts.failAfter) throw opts.error ?? new Error('source failed');
        const n = Math.min(sizes[i % sizes.length], total - sent, opts.failAfter !== undefined ? opts.failAfter - sent : Infinity);
        const chunk = randomBytes(n);
        hash.update(chunk);
        sent += n;
        yield chunk;
      }
      if (opts.failAfter !== undefined && sent >= opts.failAfter) throw opts.error ?? new Error('source failed');
    } finally {
      state.closed = true;
    }
  }
  return {
    body: generate(),
    sha256: () => hash.copy().digest('hex'),
    get pulled() {
      return state.pulled;
    },
    get closed() {
      return state.closed;
    },
  };
}

async function* bytes(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

export const INVALID_KEYS: readonly string[] = [
  '../x',
  '/abs',
  'a//b',
  'a/./b',
  '',
  'a/../b',
  '..',
  '.',
  'a/',
  '.hidden',
  'a/.hidden',
  'a\\b',
  'a b',
  'a\u0000b',
  'tenants/\u00e4',
  'a'.repeat(513),
  `a/${'b'.repeat(129)}`,
];

export function describeBlobStore(name: string, make: () => Promise<BlobStoreFixture>): void {
  describe(`${name} — BlobStore contract`, () => {
    let fx: BlobStoreFixture;
    let sut: BlobStore;

    /** Leftovers present before the test: a test reports only what it left itself. */
    let before: string[] = [];
    const newLeftovers = async () => (await fx.leftovers()).filter((l) => !before.includes(l));

    beforeAll(async () => {
      fx = await make();
      sut = fx.sut;
    });
    beforeEach(async () => {
      before = await fx.leftovers();
    });
    afterAll(() => fx?.close());

    const expectNothingUnder = async (key: string) => {
      expect(await sut.stat(key)).toBeUndefined();
      await expect(sut.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await collect(sut.list(key))).toEqual([]);
      expect(await newLeftovers()).toEqual([]);
    };

    it.each([
      ['0 bytes', 0],
      ['1 byte', 1],
    ])('round-trips %s', async (_label, n) => {
      const key = `${freshPrefix()}/blob`;
      const data = randomBytes(n);

      expect(await sut.put(key, bytes(data))).toEqual({ key, size: n });

      expect(await readAll(await sut.get(key))).toEqual(data);
      expect(await sut.stat(key)).toEqual({ key, size: n });
      expect(await fx.storedBytes(key)).toEqual(data);
    });

    it('round-trips 20 MB streamed from a generator, stored byte for byte (no framing)', async () => {
      const key = `${freshPrefix()}/attachments/big`;
      const total = 20_000_000;
      const src = testSource(total);

      expect(await sut.put(key, src.body)).toEqual({ key, size: total });

      const stored = await fx.storedBytes(key);
      expect(stored.length).toBe(total);
      expect(sha256(stored)).toBe(src.sha256());
      expect(sha256(await readAll(await sut.get(key)))).toBe(src.sha256());
      expect(await sut.stat(key)).toEqual({ key, size: total });
      expect(src.closed).toBe(true);
    });

    it('accepts a Readable stream as body', async () => {
      const key = `${freshPrefix()}/from-stream`;
      const data = randomBytes(300_000);

      await sut.put(key, Readable.from([data.subarray(0, 1000), data.subarray(1000)]));

      expect(await readAll(await sut.get(key))).toEqual(data);
    });

    it('stat answers the size of a blob and undefined for a missing key', async () => {
      const p = freshPrefix();
      await sut.put(`${p}/a`, bytes(Buffer.alloc(1234, 7)));

      expect(await sut.stat(`${p}/a`)).toEqual({ key: `${p}/a`, size: 1234 });
      expect(await sut.stat(`${p}/missing`)).toBeUndefined();
      // A "directory" of other keys is not a blob.
      expect(await sut.stat(p)).toBeUndefined();
    });

    it('lists by string prefix, with sizes, and nothing outside the prefix', async () => {
      const p = freshPrefix();
      const other = freshPrefix();
      const blobs: Record<string, number> = { [`${p}/a/1`]: 1, [`${p}/a/2`]: 2, [`${p}/ab`]: 3, [`${p}/b/c/d`]: 4, [`${other}/a/1`]: 5 };
      for (const [key, size] of Object.entries(blobs)) await sut.put(key, bytes(Buffer.alloc(size)));
      const keysOf = async (prefix: string) => (await collect(sut.list(prefix))).sort((x, y) => (x.key < y.key ? -1 : 1));

      expect(await keysOf(`${p}/a/`)).toEqual([
        { key: `${p}/a/1`, size: 1 },
        { key: `${p}/a/2`, size: 2 },
      ]);
      expect((await keysOf(`${p}/a`)).map((i) => i.key)).toEqual([`${p}/a/1`, `${p}/a/2`, `${p}/ab`]);
      expect((await keysOf(`${p}/`)).map((i) => i.key)).toEqual([`${p}/a/1`, `${p}/a/2`, `${p}/ab`, `${p}/b/c/d`]);
      expect((await keysOf(p)).map((i) => i.key)).toEqual([`${p}/a/1`, `${p}/a/2`, `${p}/ab`, `${p}/b/c/d`]);
      expect(await keysOf(`${p}/b/c/d`)).toEqual([{ key: `${p}/b/c/d`, size: 4 }]);
      expect(await keysOf(`${p}/zzz/`)).toEqual([]);
      expect(await keysOf(`${freshPrefix()}/`)).toEqual([]);
    });

    it.each(['../', '/abs', 'a//', '..', 'a/../', '.x'])('refuses to list the invalid prefix %j', async (prefix) => {
      await expect(collect(sut.list(prefix))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    });

    it('deletes idempotently, and a deleted key can be written again', async () => {
      const p = freshPrefix();
      const key = `${p}/doc`;
      await sut.delete(key); // never existed
      await sut.put(key, bytes(Buffer.from('first')));

      await sut.delete(key);
      await sut.delete(key);

      await expectNothingUnder(key);
      await sut.put(key, bytes(Buffer.from('second')));
      expect((await readAll(await sut.get(key))).toString()).toBe('second');
    });

    it('delete leaves other blobs of the same prefix alone', async () => {
      const p = freshPrefix();
      await sut.put(`${p}/a`, bytes(Buffer.from('a')));
      await sut.put(`${p}/b`, bytes(Buffer.from('b')));

      await sut.delete(`${p}/a`);

      expect((await collect(sut.list(`${p}/`))).map((i) => i.key)).toEqual([`${p}/b`]);
    });

    it('refuses a second put of the same key with BlobExistsError, before reading the body, and keeps the first', async () => {
      const key = `${freshPrefix()}/once`;
      await sut.put(key, bytes(Buffer.from('original')));
      const second = testSource(1000);

      await expect(sut.put(key, second.body)).rejects.toBeInstanceOf(BlobExistsError);

      expect(second.pulled).toBe(false);
      expect((await readAll(await sut.get(key))).toString()).toBe('original');
      expect(await newLeftovers()).toEqual([]);
    });

    it('destroys a stream body it refuses, so its producer is not left hanging', async () => {
      const key = `${freshPrefix()}/once`;
      await sut.put(key, bytes(Buffer.from('original')));
      const body = Readable.from([Buffer.from('x')]);

      await expect(sut.put(key, body)).rejects.toBeInstanceOf(BlobExistsError);

      expect(body.destroyed).toBe(true);
    });

    it('refuses get of a missing key with BlobNotFoundError', async () => {
      const key = `${freshPrefix()}/nothing`;
      const err = await sut.get(key).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BlobNotFoundError);
      expect((err as BlobNotFoundError).code).toBe('blob_not_found');
    });

    it.each(INVALID_KEYS.map((k) => [JSON.stringify(k).slice(0, 40), k]))(
      'refuses the invalid key %s on every operation',
      async (_label, key) => {
        const src = testSource(10);
        await expect(sut.put(key, src.body)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        expect(src.pulled).toBe(false);
        await expect(sut.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(sut.stat(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(sut.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        expect(await newLeftovers()).toEqual([]);
      },
    );

    it.each([
      ['after 1 KiB', 1024],
      ['after 10 MiB (more than one S3 part)', 10 * MiB],
    ])('rejects with the source error when the source fails %s, leaving nothing', async (_label, failAfter) => {
      const key = `${freshPrefix()}/broken`;
      const boom = new Error('client went away');
      const src = testSource(20 * MiB, { failAfter, error: boom });

      await expect(sut.put(key, src.body)).rejects.toBe(boom);

      await expectNothingUnder(key);
    });

    it('rejects with the stream error when a Readable body is destroyed midway, leaving nothing', async () => {
      const key = `${freshPrefix()}/aborted`;
      const boom = new Error('aborted upload');
      const body = new Readable({ read() {} });
      body.push(randomBytes(64 * 1024));
      setTimeout(() => body.destroy(boom), 50);

      await expect(sut.put(key, body)).rejects.toBe(boom);

      await expectNothingUnder(key);
    });

    it('refuses a text chunk (a stream with setEncoding) and leaves nothing', async () => {
      const key = `${freshPrefix()}/text`;
      const body = Readable.from([Buffer.from('bytes'), 'text']);

      await expect(sut.put(key, body)).rejects.toBeInstanceOf(TypeError);

      await expectNothingUnder(key);
    });

    it('answers ping', async () => {
      await expect(sut.ping()).resolves.toBeUndefined();
    });
  });
}
