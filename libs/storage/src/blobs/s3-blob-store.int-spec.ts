import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import { BlobExistsError, BlobStoreUnavailableError } from './blob-store';
import { collect, describeBlobStore, freshPrefix, MiB, readAll, sha256, testSource } from './blob-store.contract';
import { S3_PART_SIZE, S3BlobStore, S3BlobStoreConfig } from './s3-blob-store';

// s3rver ships no types; the little used here is declared locally.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer: http.Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;
const requireCjs = createRequire(__filename);
const S3rver = requireCjs('s3rver') as S3rverConstructor;

interface RecordedRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
}

/**
 * A real s3rver 3.7 on a random port and a temp directory, behind a thin
 * front that records requests and fills two gaps of s3rver:
 * - AbortMultipartUpload: s3rver answers 405 MethodNotAllowed; the front
 *   removes the upload's directory and answers 204 like S3 (abortMode
 *   'emulate'), or passes the call through to show the 405 ('s3rver').
 * - If-None-Match: * on PutObject/CompleteMultipartUpload: s3rver ignores it;
 *   with conditionalWrites the front answers 412 PreconditionFailed when the
 *   object exists, as AWS S3 does.
 */
class S3rverHarness {
  readonly bucket = 'blobs';
  dir = '';
  port = 0;
  requests: RecordedRequest[] = [];
  abortMode: 'emulate' | 's3rver' = 'emulate';
  conditionalWrites = false;
  /** Answer 403 AccessDenied to everything (s3rver does not check V4 signatures, so wrong keys pass there). */
  denyAll = false;
  private server?: S3rverInstance;

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-s3rver-'));
    this.server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: this.dir,
      configureBuckets: [{ name: this.bucket }],
    });
    this.port = (await this.server.run()).port;
    const httpServer = this.server.httpServer;
    const s3rverHandler = httpServer.listeners('request')[0] as http.RequestListener;
    httpServer.removeAllListeners('request');
    httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res, s3rverHandler));
  }

  async stop(): Promise<void> {
    this.server?.httpServer.closeAllConnections();
    await this.server?.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  config(overrides: Partial<S3BlobStoreConfig> = {}): S3BlobStoreConfig {
    return {
      endpoint: `http://127.0.0.1:${this.port}`,
      region: 'us-east-1',
      bucket: this.bucket,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
      ...overrides,
    };
  }

  /** The file in which s3rver keeps an object's bytes. */
  objectPath(key: string): string {
    const parts = key.split('/');
    const last = parts.pop()!;
    return path.join(this.dir, this.bucket, ...parts, `${last}._S3rver_object`);
  }

  /** Multipart uploads created and neither completed nor aborted. */
  uploadsInProgress(): string[] {
    const dir = path.join(this.dir, this.bucket, '._S3rver_uploads');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, s3rver: http.RequestListener): void {
    const url = new URL(req.url ?? '/', 'http://s3');
    this.requests.push({ method: req.method ?? '', url, headers: req.headers });
    const uploadId = url.searchParams.get('uploadId');
    if (this.denyAll) {
      req.resume();
      res
        .writeHead(403, { 'content-type': 'application/xml' })
        .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      return;
    }
    if (req.method === 'DELETE' && uploadId !== null && this.abortMode === 'emulate') {
      fs.rmSync(path.join(this.dir, this.bucket, '._S3rver_uploads', path.basename(uploadId)), { recursive: true, force: true });
      req.resume();
      res.writeHead(204).end();
      return;
    }
    const finalWrite = (req.method === 'PUT' && uploadId === null) || (req.method === 'POST' && uploadId !== null);
    if (this.conditionalWrites && finalWrite && req.headers['if-none-match'] === '*') {
      const key = decodeURIComponent(url.pathname.slice(`/${this.bucket}/`.length));
      if (fs.existsSync(this.objectPath(key))) {
        req.resume();
        res
          .writeHead(412, { 'content-type': 'application/xml' })
          .end(
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
              '<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>',
          );
        return;
      }
    }
    void s3rver(req, res);
  }
}

async function* bytes(data: Buffer | string): AsyncGenerator<Buffer> {
  yield Buffer.from(data);
}

/** s3rver in a child Node with the OpenSSL legacy provider (for DES continuation tokens). */
async function startLegacyS3rver(): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-s3rver-legacy-'));
  const script = [
    'const S3rver = require(process.argv[1]);',
    "new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2], configureBuckets: [{ name: 'blobs' }] })",
    "  .run().then((a) => process.stdout.write(JSON.stringify(a) + '\\n'), (e) => { console.error(e); process.exit(1); });",
  ].join('\n');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script, requireCjs.resolve('s3rver'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => resolve((JSON.parse(data.toString()) as AddressInfo).port));
    child.once('exit', (code) => reject(new Error(`s3rver child exited with ${code}`)));
  });
  return {
    port,
    stop: async () => {
      const exited = once(child, 'exit');
      child.kill();
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const harness = new S3rverHarness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

describeBlobStore(S3BlobStore.name, async () => {
  const sut = new S3BlobStore(harness.config());
  return {
    sut,
    leftovers: async () => harness.uploadsInProgress(),
    storedBytes: async (key) => fs.readFileSync(harness.objectPath(key)),
    close: async () => sut.destroy(),
  };
});

describe(S3BlobStore.name, () => {
  let sut: S3BlobStore;

  beforeAll(() => {
    sut = new S3BlobStore(harness.config());
  });
  afterAll(() => sut.destroy());
  beforeEach(() => {
    harness.requests = [];
    harness.abortMode = 'emulate';
    harness.conditionalWrites = false;
    harness.denyAll = false;
  });
  afterEach(() => jest.restoreAllMocks());

  const writes = () => harness.requests.filter((r) => r.method === 'PUT' || r.method === 'POST');
  /** Signs of aws-chunked framing or checksum trailers (which s3rver would store inside the object), or of unrequired checksums. */
  const framing = (r: RecordedRequest) =>
    [
      String(r.headers['content-encoding'] ?? '').includes('aws-chunked') && 'content-encoding: aws-chunked',
      String(r.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-') &&
        `x-amz-content-sha256: ${r.headers['x-amz-content-sha256']}`,
      r.headers['x-amz-trailer'] !== undefined && 'x-amz-trailer',
      r.headers['x-amz-decoded-content-length'] !== undefined && 'x-amz-decoded-content-length',
      // Checksums only when an operation requires them (stack.md): servers differ in what they accept.
      ...Object.keys(r.headers).filter((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm'),
    ].filter(Boolean);

  it('sends a body within one part as a single PutObject with If-None-Match: * and plain bytes', async () => {
    const key = `${freshPrefix()}/small`;

    await sut.put(key, bytes(Buffer.alloc(1000, 1)));

    expect(harness.requests.map((r) => r.method)).toEqual(['HEAD', 'PUT']);
    const [put] = writes();
    expect(put.url.searchParams.has('uploadId')).toBe(false);
    expect(put.headers['if-none-match']).toBe('*');
    expect(put.headers['content-length']).toBe('1000');
    expect(framing(put)).toEqual([]);
  });

  it('streams a longer body as 8 MiB parts, completes with If-None-Match: *, and never frames the bytes', async () => {
    const key = `${freshPrefix()}/big`;
    const total = 20_000_000;

    await sut.put(key, testSource(total).body);

    const w = writes();
    expect(w.map((r) => `${r.method} ${[...r.url.searchParams.keys()].filter((k) => k !== 'x-id').join('&')}`)).toEqual([
      'POST uploads',
      'PUT partNumber&uploadId',
      'PUT partNumber&uploadId',
      'PUT partNumber&uploadId',
      'POST uploadId',
    ]);
    expect(w.slice(1, 4).map((r) => Number(r.headers['content-length']))).toEqual([S3_PART_SIZE, S3_PART_SIZE, total - 2 * S3_PART_SIZE]);
    expect(w.slice(1, 4).map((r) => r.url.searchParams.get('partNumber'))).toEqual(['1', '2', '3']);
    expect(w[4].headers['if-none-match']).toBe('*');
    expect(w.flatMap(framing)).toEqual([]);
    expect(harness.uploadsInProgress()).toEqual([]);
  });

  it('aborts the multipart upload when the source fails after a part was sent', async () => {
    const key = `${freshPrefix()}/broken`;
    const boom = new Error('source failed');

    await expect(sut.put(key, testSource(20 * MiB, { failAfter: 9 * MiB, error: boom }).body)).rejects.toBe(boom);

    const part = harness.requests.find((r) => r.method === 'PUT' && r.url.searchParams.has('partNumber'));
    const abort = harness.requests.find((r) => r.method === 'DELETE');
    expect(abort?.url.searchParams.get('uploadId')).toBe(part?.url.searchParams.get('uploadId'));
    expect(harness.uploadsInProgress()).toEqual([]);
    expect(await sut.stat(key)).toBeUndefined();
  });

  it('still rejects with the source error, and logs, when the server cannot abort (s3rver answers 405)', async () => {
    harness.abortMode = 's3rver';
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const key = `${freshPrefix()}/broken`;
    const boom = new Error('source failed');

    await expect(sut.put(key, testSource(20 * MiB, { failAfter: 9 * MiB, error: boom }).body)).rejects.toBe(boom);

    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/AbortMultipartUpload failed for .*\/broken .*405/));
    expect(await sut.stat(key)).toBeUndefined();
    // The parts stay on the server until a lifecycle rule removes them.
    const stuck = harness.uploadsInProgress();
    expect(stuck).toHaveLength(1);
    fs.rmSync(path.join(harness.dir, harness.bucket, '._S3rver_uploads', stuck[0]), { recursive: true });
  });

  it.each([
    ['PutObject', 10_000],
    ['CompleteMultipartUpload', 9 * MiB],
  ])(
    'refuses with BlobExistsError when another writer takes the key between the check and the final %s (server honouring If-None-Match)',
    async (_step, size) => {
      harness.conditionalWrites = true;
      const key = `${freshPrefix()}/raced`;
      const loser = testSource(size, { beforeFirst: () => sut.put(key, bytes('winner')).then(() => undefined) });

      await expect(sut.put(key, loser.body)).rejects.toBeInstanceOf(BlobExistsError);

      expect((await readAll(await sut.get(key))).toString()).toBe('winner');
      expect(harness.uploadsInProgress()).toEqual([]);
    },
  );

  it('shows the documented race on a server that ignores If-None-Match (plain s3rver): the later put replaces the earlier', async () => {
    const key = `${freshPrefix()}/raced`;
    const later = testSource(10_000, { beforeFirst: () => sut.put(key, bytes('earlier')).then(() => undefined) });

    await sut.put(key, later.body);

    expect(sha256(await readAll(await sut.get(key)))).toBe(later.sha256());
  });

  it('lists across pages of ListObjectsV2', async () => {
    // In-process s3rver cannot paginate on Node 20: its continuation tokens use
    // DES, which OpenSSL 3 only has in the legacy provider (500 InternalError).
    // A second s3rver in a child process with --openssl-legacy-provider can.
    const legacy = await startLegacyS3rver();
    const paged = new S3BlobStore(harness.config({ endpoint: `http://127.0.0.1:${legacy.port}` }), { listPageSize: 2 });
    try {
      const p = freshPrefix();
      const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => `${p}/${k}`);
      for (const key of keys) await paged.put(key, bytes(key));

      const listed = await collect(paged.list(`${p}/`));

      expect(listed.map((i) => i.key).sort()).toEqual(keys);
      expect(listed.every((i) => i.size === keys[0].length)).toBe(true);
    } finally {
      paged.destroy();
      await legacy.stop();
    }
  });

  it('reports an unreachable endpoint as BlobStoreUnavailableError', async () => {
    const down = new S3BlobStore(harness.config({ endpoint: `http://127.0.0.1:${await closedPort()}` }));
    const src = testSource(100);

    await expect(down.ping()).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(down.put('k', src.body)).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(down.get('k')).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(down.stat('k')).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    expect(src.pulled).toBe(false);
    down.destroy();
  });

  it('reports a missing bucket as BlobStoreUnavailableError', async () => {
    const lost = new S3BlobStore(harness.config({ bucket: 'no-such-bucket' }));

    await expect(lost.ping()).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(lost.put('k', bytes('x'))).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(lost.get('k')).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(collect(lost.list(''))).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    lost.destroy();
  });

  it('reports refused access (wrong keys, missing permissions) as BlobStoreUnavailableError', async () => {
    harness.denyAll = true;

    await expect(sut.ping()).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(sut.get('k')).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(sut.stat('k')).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(sut.put('k', bytes('x'))).rejects.toBeInstanceOf(BlobStoreUnavailableError);
    await expect(sut.delete('k')).rejects.toBeInstanceOf(BlobStoreUnavailableError);
  });
});
