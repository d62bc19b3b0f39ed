import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobExistsError, BlobKeyConflictError, BlobNotFoundError, BlobStoreUnavailableError } from './blob-store';
import { collect, describeBlobStore, readAll, testSource } from './blob-store.contract';
import { FsBlobStore } from './fs-blob-store';

/** Every file or directory under `dir` whose name starts with '.' (temp files), relative to `dir`. */
function hiddenEntries(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((rel) => path.basename(rel).startsWith('.'));
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-blobs-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function* bytes(data: Buffer | string): AsyncGenerator<Buffer> {
  yield Buffer.from(data);
}

describeBlobStore(FsBlobStore.name, async () => {
  const root = path.join(tempDir(), 'blobs');
  const sut = new FsBlobStore({ root });
  return {
    sut,
    leftovers: async () => hiddenEntries(root),
    storedBytes: async (key) => fs.readFileSync(path.join(root, ...key.split('/'))),
    close: async () => undefined,
  };
});

describe(FsBlobStore.name, () => {
  let base: string;
  let root: string;
  let sut: FsBlobStore;

  beforeEach(() => {
    base = tempDir();
    root = path.join(base, 'blobs');
    sut = new FsBlobStore({ root });
  });

  const mode = (p: string) => fs.statSync(p).mode & 0o777;

  it('creates directories 0700 and files 0600', async () => {
    await sut.put('tenants/t1/attachments/a1', bytes('x'));

    expect(mode(root)).toBe(0o700);
    expect(mode(path.join(root, 'tenants'))).toBe(0o700);
    expect(mode(path.join(root, 'tenants/t1'))).toBe(0o700);
    expect(mode(path.join(root, 'tenants/t1/attachments'))).toBe(0o700);
    expect(mode(path.join(root, 'tenants/t1/attachments/a1'))).toBe(0o600);
  });

  it('never writes outside its root, whatever the key', async () => {
    for (const key of ['../escape', '../../escape', 'a/../../escape', '/tmp/escape']) {
      await expect(sut.put(key, bytes('x'))).rejects.toThrow();
    }

    expect(fs.readdirSync(base)).toEqual([]);
    expect(fs.existsSync('/tmp/escape')).toBe(false);
  });

  it('refuses, with BlobExistsError and no temp file, a put that loses the race to a concurrent put of the same key', async () => {
    const key = 'tenants/t1/doc';
    // The losing put has passed its early existence check when its body is first pulled;
    // the winner lands in between, so only the atomic link() can refuse.
    const loser = testSource(100_000, { beforeFirst: () => sut.put(key, bytes('winner')).then(() => undefined) });

    await expect(sut.put(key, loser.body)).rejects.toBeInstanceOf(BlobExistsError);

    expect((await readAll(await sut.get(key))).toString()).toBe('winner');
    expect(hiddenEntries(root)).toEqual([]);
  });

  it('lets exactly one of many concurrent puts of the same key win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => sut.put('same', testSource(50_000 + i, { beforeFirst: () => Promise.resolve() }).body)),
    );

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.map((r) => r.reason)).toEqual(Array(7).fill(expect.any(BlobExistsError)));
    const size = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ size: number }>).value.size;
    expect(fs.statSync(path.join(root, 'same')).size).toBe(size);
    expect(hiddenEntries(root)).toEqual([]);
  });

  it('refuses a key whose path runs through a blob, or that names a directory of other blobs', async () => {
    await sut.put('a/b', bytes('blob'));
    await sut.put('x/y/z', bytes('blob'));

    await expect(sut.put('a/b/c', bytes('x'))).rejects.toBeInstanceOf(BlobKeyConflictError);
    await expect(sut.put('x/y', bytes('x'))).rejects.toBeInstanceOf(BlobKeyConflictError);

    await expect(sut.get('x/y')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(sut.get('a/b/c')).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await sut.stat('a/b/c')).toBeUndefined();
    await sut.delete('x/y'); // a directory: no blob, nothing to do
    expect((await collect(sut.list(''))).map((i) => i.key)).toEqual(['a/b', 'x/y/z']);
    expect(hiddenEntries(root)).toEqual([]);
  });

  it('does not follow or list a symlink planted in the tree', async () => {
    await sut.put('t/real', bytes('real'));
    const outside = path.join(base, 'secret');
    fs.writeFileSync(outside, 'secret');
    fs.symlinkSync(outside, path.join(root, 't/link'));

    await expect(sut.get('t/link')).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await sut.stat('t/link')).toBeUndefined();
    expect((await collect(sut.list('t/'))).map((i) => i.key)).toEqual(['t/real']);
  });

  it('lists in byte order of keys and skips temp and foreign files', async () => {
    for (const key of ['p/b', 'p-c', 'p/a/z', 'p0']) await sut.put(key, bytes('x'));
    fs.writeFileSync(path.join(root, 'p', '.b.0123456789abcdef.tmp'), 'partial');
    fs.writeFileSync(path.join(root, 'p', 'foreign name'), 'x');

    expect((await collect(sut.list(''))).map((i) => i.key)).toEqual(['p-c', 'p/a/z', 'p/b', 'p0']);
  });

  it('removes directories that a delete leaves empty, up to but not including the root', async () => {
    await sut.put('tenants/t1/attachments/a1', bytes('x'));
    await sut.put('tenants/t2/attachments/a1', bytes('x'));

    await sut.delete('tenants/t1/attachments/a1');

    expect(fs.readdirSync(path.join(root, 'tenants'))).toEqual(['t2']);
    await sut.delete('tenants/t2/attachments/a1');
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('keeps puts working while deletes prune the same directories', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `tenants/t1/attachments/a${i}`);
    await Promise.all(
      keys.map(async (key) => {
        await sut.put(key, bytes(key));
        await sut.delete(key);
        await sut.put(key, bytes(key));
      }),
    );

    expect((await collect(sut.list('tenants/'))).length).toBe(keys.length);
  });

  it('removes stale temp files only', async () => {
    await sut.put('d/blob', bytes('x'));
    const stale = path.join(root, 'd', '.old.0123456789abcdef.tmp');
    const fresh = path.join(root, 'd', '.new.fedcba9876543210.tmp');
    fs.writeFileSync(stale, 'x');
    fs.writeFileSync(fresh, 'x');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    fs.utimesSync(stale, twoDaysAgo, twoDaysAgo);

    expect(await sut.removeStaleTempFiles()).toBe(1);

    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
    expect(fs.existsSync(path.join(root, 'd/blob'))).toBe(true);
  });

  it('leaves no temp file when the disk refuses the final link', async () => {
    await sut.put('ro/first', bytes('x'));
    // Make the target directory's final name a directory to force link() to fail after the write.
    const src = testSource(10_000, { beforeFirst: async () => fs.mkdirSync(path.join(root, 'ro', 'second')) });

    await expect(sut.put('ro/second', src.body)).rejects.toBeInstanceOf(BlobKeyConflictError);

    expect(hiddenEntries(root)).toEqual([]);
  });

  it('fails ping with BlobStoreUnavailableError when the root cannot be a directory', async () => {
    fs.writeFileSync(path.join(base, 'file'), 'x');
    const broken = new FsBlobStore({ root: path.join(base, 'file') });

    await expect(broken.ping()).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(sut.ping()).resolves.toBeUndefined();
  });

  it('refuses a relative root', () => {
    expect(() => new FsBlobStore({ root: 'data/blobs' })).toThrow(/absolute/);
  });

  it('streams a large blob back without reading it whole first', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    await sut.put('big', bytes(data));

    const stream = await sut.get('big');
    let chunks = 0;
    for await (const _chunk of stream) chunks++;

    expect(chunks).toBeGreaterThan(1);
  });
});
