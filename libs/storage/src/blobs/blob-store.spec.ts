import { Readable } from 'node:stream';
import {
  assertBlobKey,
  assertBlobPrefix,
  BlobExistsError,
  BlobNotFoundError,
  BlobSource,
  BlobStoreUnavailableError,
  InvalidBlobKeyError,
  isBlobStoreError,
  isValidBlobKeySegment,
} from './blob-store';
import { INVALID_KEYS } from './blob-store.contract';

describe(assertBlobKey.name, () => {
  it.each([
    'a',
    'tenants/0b9c6f0e-8f7a-4c1e-9d55-0d2a3c4b5e6f/attachments/01HZX3K4M5N6P7Q8R9S0T1V2W3',
    'backups/2025-01-31/tenant.archive.v1',
    'A-Z_0-9/x.y',
    'a...b/c..d', // dots inside a segment are only characters
    `${'a'.repeat(128)}/b`,
    Array.from({ length: 128 }, () => 'abc').join('/'), // 511 characters
  ])('accepts %j', (key) => {
    expect(() => assertBlobKey(key)).not.toThrow();
  });

  it.each(INVALID_KEYS.map((k) => [JSON.stringify(k).slice(0, 40), k]))('refuses %s', (_label, key) => {
    expect(() => assertBlobKey(key)).toThrow(InvalidBlobKeyError);
  });

  it.each([
    ['a'.repeat(513), /longer than 512/],
    ['%2e%2e/x', /segments are/],
    ['a/\u2215b', /segments are/], // DIVISION SLASH look-alike
    ['a\nb', /segments are/],
  ])('refuses %j with a reason', (key, reason) => {
    expect(() => assertBlobKey(key)).toThrow(reason);
  });

  it('refuses a non-string key', () => {
    expect(() => assertBlobKey(undefined as unknown as string)).toThrow(InvalidBlobKeyError);
  });
});

describe(assertBlobPrefix.name, () => {
  it.each(['', 'tenants/', 'tenants/t1', 'tenants/t1/'])('accepts %j', (prefix) => {
    expect(() => assertBlobPrefix(prefix)).not.toThrow();
  });

  it.each(['/', '../', '/abs', 'a//', 'a//b', '..', 'a/../', '.x', 'a/./'])('refuses %j', (prefix) => {
    expect(() => assertBlobPrefix(prefix)).toThrow(InvalidBlobKeyError);
  });
});

describe(isValidBlobKeySegment.name, () => {
  it('tells key segments from temp files and foreign names', () => {
    expect(isValidBlobKeySegment('a1.bin')).toBe(true);
    expect(isValidBlobKeySegment('.a1.bin.0123456789abcdef.tmp')).toBe(false);
    expect(isValidBlobKeySegment('with space')).toBe(false);
    expect(isValidBlobKeySegment('x'.repeat(129))).toBe(false);
  });
});

describe('BlobStoreError', () => {
  it('carries stable codes and names', () => {
    const errors = [
      new BlobNotFoundError('k'),
      new BlobExistsError('k'),
      new InvalidBlobKeyError('empty'),
      new BlobStoreUnavailableError('down'),
    ];

    expect(errors.map((e) => [e.name, e.code])).toEqual([
      ['BlobNotFoundError', 'blob_not_found'],
      ['BlobExistsError', 'blob_exists'],
      ['InvalidBlobKeyError', 'blob_key_invalid'],
      ['BlobStoreUnavailableError', 'blob_store_unavailable'],
    ]);
    expect(errors.every(isBlobStoreError)).toBe(true);
    expect(isBlobStoreError(new Error('x'))).toBe(false);
  });
});

describe(BlobSource.name, () => {
  const drain = async (source: BlobSource) => {
    const out: Buffer[] = [];
    for await (const chunk of source.chunks()) out.push(chunk);
    return Buffer.concat(out);
  };

  it('yields Buffers from Buffers and other Uint8Arrays', async () => {
    async function* body() {
      yield Buffer.from('ab');
      yield new Uint8Array([99, 100]) as Buffer;
    }

    expect((await drain(new BlobSource(body()))).toString()).toBe('abcd');
  });

  it('remembers an error thrown by the source itself', async () => {
    const boom = new Error('source');
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from('a');
      throw boom;
    }
    const sut = new BlobSource(body());

    await expect(drain(sut)).rejects.toBe(boom);
    expect(sut.sourceError).toBe(boom);
  });

  it('keeps a stream error raised before reading starts (no unhandled error event) and rethrows it when read', async () => {
    // put() awaits the target check and the temp file before it reads: under load a stream could fail first.
    const boom = new Error('aborted before reading');
    const body = new Readable({ read() {} });
    const sut = new BlobSource(body);
    body.destroy(boom);
    await new Promise((r) => setImmediate(r));

    expect(sut.sourceError).toBe(boom);
    await expect(drain(sut)).rejects.toBe(boom);
  });

  it('refuses a text chunk without calling it a source error, and closes the source', async () => {
    const body = Readable.from(['text']);
    const sut = new BlobSource(body);

    await expect(drain(sut)).rejects.toThrow(TypeError);
    expect(sut.sourceError).toBeUndefined();
    expect(body.destroyed).toBe(true);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* body(): AsyncGenerator<Buffer> {
      try {
        for (;;) yield Buffer.from('x');
      } finally {
        closed = true;
      }
    }
    const sut = new BlobSource(body());

    for await (const _chunk of sut.chunks()) break;

    expect(closed).toBe(true);
  });

  it('discard destroys a stream body and closes an unread iterator', async () => {
    const stream = Readable.from([Buffer.from('x')]);
    await new BlobSource(stream).discard();
    expect(stream.destroyed).toBe(true);

    let started = false;
    async function* gen(): AsyncGenerator<Buffer> {
      started = true;
      yield Buffer.from('x');
    }
    const it = gen();
    await new BlobSource(it).discard();
    expect(started).toBe(false);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});
