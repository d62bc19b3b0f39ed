import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { ClamdScanner, CopySink, scanWhileStreaming } from './clamd-scanner';
import { ScannerUnavailableError } from './scanner';

/**
 * Against a real clamd (Debian's clamav-daemon) started by scripts/clamd-start.sh
 * in a temporary directory, with the offline EICAR database of scripts/clamav.
 * Nothing is skipped: if clamd cannot start, every test here fails with the reason.
 */
const execFileAsync = promisify(execFile);
const START_SCRIPT = path.resolve(__dirname, '../../../../scripts/clamd-start.sh');

// The EICAR test string, assembled at run time so that this source file is not itself flagged by an antivirus.
const EICAR = Buffer.from(['X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR', '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join(''), 'latin1');
const MiB = 1024 * 1024;

let runDir: string;
let socket: string;
let sut: ClamdScanner;

beforeAll(async () => {
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-clamd-'));
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('bash', [START_SCRIPT, runDir], { timeout: 90_000 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `clamd could not be started by scripts/clamd-start.sh ${runDir} (needs Debian's clamav-daemon: run scripts/setup-system.sh as root):\n${e.stderr || e.message}`,
    );
  }
  const found = /^CLAMD_SOCKET=(.+)$/m.exec(stdout);
  if (!found) throw new Error(`scripts/clamd-start.sh printed no CLAMD_SOCKET line:\n${stdout}`);
  socket = found[1];
  sut = new ClamdScanner({ socket, timeoutMs: 30_000 });
}, 120_000);

afterAll(async () => {
  if (!runDir) return;
  const pidFile = path.join(runDir, 'clamd.pid');
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    // Only the clamd this file started, by its pid.
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGTERM');
    // clamd removes its socket when it exits; wait for that before deleting the directory under it.
    for (let i = 0; i < 100 && fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
  }
  fs.rmSync(runDir, { recursive: true, force: true });
});

/** `total` bytes in chunks of `chunkSize`, generated lazily; `counter.bytes` says how much was consumed. */
async function* chunked(data: Buffer, chunkSize: number, counter = { bytes: 0 }): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += chunkSize) {
    const chunk = data.subarray(offset, offset + chunkSize);
    counter.bytes += chunk.length;
    yield chunk;
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A TCP server on 127.0.0.1 that accepts and then does `onConnection`; closed (with its connections) by `close`. */
async function fakeClamd(onConnection: (conn: net.Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const connections = new Set<net.Socket>();
  const server = net.createServer((conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    conn.on('error', () => conn.destroy());
    onConnection(conn);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: async () => {
      for (const conn of connections) conn.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function expectUnavailable(promise: Promise<unknown>, reason?: RegExp): Promise<ScannerUnavailableError> {
  const err = await promise.then(
    (value) => {
      throw new Error(`expected ScannerUnavailableError, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScannerUnavailableError);
  const unavailable = err as ScannerUnavailableError;
  expect(unavailable.code).toBe('scanner_unavailable');
  expect(unavailable.status).toBe(503);
  if (reason) expect(unavailable.reason).toMatch(reason);
  return unavailable;
}

describe(ClamdScanner.name, () => {
  it('uses the EICAR string of the custom database', () => {
    // The MD5 and size in scripts/clamav/custom.hdb.
    expect(createHash('md5').update(EICAR).digest('hex')).toBe('44d88612fea8a8f36de82e1278abb02f');
    expect(EICAR.length).toBe(68);
  });

  it('answers PING', async () => {
    await expect(sut.ping()).resolves.toBeUndefined();
  });

  it('finds EICAR and names the signature', async () => {
    const verdict = await sut.scan(Readable.from([EICAR]));
    expect(verdict).toEqual({ clean: false, signature: expect.stringMatching(/^Custom\.EICAR\.(hdb|Body)\.UNOFFICIAL$/) });
  });

  it('finds EICAR inside a 3 MB file, past the first chunk and across a chunk boundary', async () => {
    const data = randomBytes(3 * MiB);
    // 16 KiB chunks; the string straddles the boundary at 2 MiB.
    const at = 2 * MiB - 30;
    EICAR.copy(data, at);
    const scanner = new ClamdScanner({ socket, timeoutMs: 30_000, maxChunk: 16 * 1024 });
    const verdict = await scanner.scan(chunked(data, 256 * 1024));
    // Only the body (.ndb) signature can match here: the .hdb one is a whole-file hash.
    expect(verdict).toEqual({ clean: false, signature: 'Custom.EICAR.Body.UNOFFICIAL' });
  });

  it('finds EICAR when the input arrives as a Node stream of odd-sized chunks', async () => {
    const data = Buffer.concat([randomBytes(700_001), EICAR, randomBytes(123_457)]);
    const stream = Readable.from(chunked(data, 65_537), { objectMode: false });
    await expect(sut.scan(stream)).resolves.toEqual({ clean: false, signature: 'Custom.EICAR.Body.UNOFFICIAL' });
  });

  it('passes a clean 5 MB random file, streamed in chunks, and consumes all of it', async () => {
    const data = randomBytes(5 * MiB);
    const counter = { bytes: 0 };
    const verdict = await sut.scan(chunked(data, 100_000, counter));
    expect(verdict).toEqual({ clean: true });
    expect(counter.bytes).toBe(data.length);
  });

  it('passes an empty file', async () => {
    await expect(sut.scan(Readable.from([]))).resolves.toEqual({ clean: true });
  });

  it('ignores empty input chunks instead of ending the stream early', async () => {
    // A zero-length INSTREAM chunk ends the stream: forwarded, it would hide what follows.
    const verdict = await sut.scan(
      (async function* () {
        yield Buffer.from('harmless prefix');
        yield Buffer.alloc(0);
        yield EICAR;
      })(),
    );
    expect(verdict).toEqual({ clean: false, signature: 'Custom.EICAR.Body.UNOFFICIAL' });
  });

  it('fails closed when the stream exceeds clamd’s StreamMaxLength (ERROR reply)', async () => {
    const oneMiB = Buffer.alloc(MiB, 0x61);
    const tooLong = (async function* () {
      for (let i = 0; i < 65; i++) yield oneMiB; // 65 MiB > StreamMaxLength 64M
    })();
    await expectUnavailable(sut.scan(tooLong), /size limit exceeded/);
  });

  it('refuses when the socket does not exist', async () => {
    const missing = new ClamdScanner({ socket: path.join(runDir, 'missing.sock'), timeoutMs: 5_000 });
    await expectUnavailable(missing.scan(Readable.from([EICAR])), /ENOENT/);
    await expectUnavailable(missing.ping(), /ENOENT/);
  });

  it('refuses when the TCP connection is refused', async () => {
    const refused = new ClamdScanner({ host: '127.0.0.1', port: await closedPort(), timeoutMs: 5_000 });
    await expectUnavailable(refused.scan(Readable.from([Buffer.from('data')])), /ECONNREFUSED/);
    await expectUnavailable(refused.ping(), /ECONNREFUSED/);
  });

  it('rejects with the input’s error, and gives no verdict, when the input fails midway', async () => {
    const failing = (async function* () {
      yield randomBytes(200_000);
      yield randomBytes(200_000);
      throw new Error('client aborted the upload');
    })();
    await expect(sut.scan(failing)).rejects.toThrow('client aborted the upload');

    const stream = new Readable({ read() {} });
    stream.push(randomBytes(100_000));
    setTimeout(() => stream.destroy(new Error('socket hang up')), 50);
    await expect(sut.scan(stream)).rejects.toThrow('socket hang up');
  });

  it('refuses string chunks (already decoded bytes)', async () => {
    const stream = Readable.from(['text'], { objectMode: true });
    await expect(sut.scan(stream)).rejects.toThrow(TypeError);
  });

  it('still answers after the failures above (connections were closed, not leaked)', async () => {
    await expect(sut.scan(Readable.from([EICAR]))).resolves.toMatchObject({ clean: false });
  });

  describe('against a fake clamd', () => {
    it('times out within timeoutMs when the server never answers (scan and ping)', async () => {
      const server = await fakeClamd((conn) => conn.resume()); // reads everything, answers nothing
      try {
        const scanner = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 300 });
        let started = Date.now();
        await expectUnavailable(scanner.scan(Readable.from([randomBytes(1000)])), /no answer within 300 ms/);
        let elapsed = Date.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(250);
        expect(elapsed).toBeLessThan(2_000);
        started = Date.now();
        await expectUnavailable(scanner.ping(), /no answer within 300 ms/);
        elapsed = Date.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(250);
        expect(elapsed).toBeLessThan(2_000);
      } finally {
        await server.close();
      }
    });

    it('times out when the server stops reading (backpressure never releases)', async () => {
      const server = await fakeClamd((conn) => conn.pause());
      try {
        const scanner = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 500 });
        const started = Date.now();
        await expectUnavailable(scanner.scan(chunked(randomBytes(20 * MiB), MiB)), /no answer within 500 ms/);
        expect(Date.now() - started).toBeLessThan(3_000);
      } finally {
        await server.close();
      }
    });

    it('gathers small input chunks into INSTREAM chunks of at most maxChunk bytes, every byte sent in order', async () => {
      // Parses the framing like clamd: zINSTREAM\0, then <uint32 BE length><data> until a zero length.
      const lengths: number[] = [];
      let payload = Buffer.alloc(0);
      const server = await fakeClamd((conn) => {
        let seen = Buffer.alloc(0);
        let started = false;
        conn.on('data', (d: Buffer) => {
          seen = Buffer.concat([seen, d]);
          if (!started) {
            if (seen.length < 10) return;
            expect(seen.subarray(0, 10).toString('latin1')).toBe('zINSTREAM\0');
            seen = seen.subarray(10);
            started = true;
          }
          while (seen.length >= 4) {
            const n = seen.readUInt32BE(0);
            if (seen.length < 4 + n) return;
            lengths.push(n);
            payload = Buffer.concat([payload, seen.subarray(4, 4 + n)]);
            seen = seen.subarray(4 + n);
            if (n === 0) {
              conn.end('stream: OK\0');
              return;
            }
          }
        });
      });
      try {
        const data = randomBytes(300_000);
        const scanner = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 5_000, maxChunk: 100_000 });
        await expect(scanner.scan(chunked(data, 7_001))).resolves.toEqual({ clean: true });
        expect(sha256(payload)).toBe(sha256(data));
        // 42 input chunks of 7,001 bytes went out as three full chunks and the end marker, not 43 chunks.
        expect(lengths).toEqual([100_000, 100_000, 100_000, 0]);
      } finally {
        await server.close();
      }
    });

    it('times out when the input stalls', async () => {
      const server = await fakeClamd((conn) => conn.resume());
      try {
        const scanner = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 300 });
        const stalled = new Readable({ read() {} }); // never pushes
        await expectUnavailable(scanner.scan(stalled), /no answer within 300 ms/);
        expect(stalled.destroyed).toBe(false); // left to the caller to discard
        stalled.destroy();
      } finally {
        await server.close();
      }
    });

    it.each([
      ['an unknown reply', 'stream: MAYBE\0', /unexpected INSTREAM reply/],
      ['an ERROR reply', "Can't allocate memory ERROR\0", /clamd: Can't allocate memory ERROR/],
      ['a reply with control characters in the signature name', 'stream: Evil\x1b[2J FOUND\0', /unexpected INSTREAM reply/],
      ['OK with trailing junk', 'stream: OK \0', /unexpected INSTREAM reply/],
    ])('fails closed on %s', async (_what, reply, reason) => {
      const server = await fakeClamd((conn) => {
        let seen = Buffer.alloc(0);
        conn.on('data', (d: Buffer) => {
          seen = Buffer.concat([seen, d]);
          // Answer once the zero-length end marker is there, like clamd.
          if (seen.subarray(-4).equals(Buffer.alloc(4))) conn.end(reply);
        });
      });
      try {
        const scanner = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 5_000 });
        await expectUnavailable(scanner.scan(Readable.from([Buffer.from('data')])), reason);
      } finally {
        await server.close();
      }
    });

    it('fails closed on a reply without its NUL terminator, then a closed connection', async () => {
      const server = await fakeClamd((conn) => conn.once('data', () => conn.end('stream: OK')));
      try {
        const scanner = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 5_000 });
        await expectUnavailable(scanner.ping(), /without a complete reply/);
      } finally {
        await server.close();
      }
    });

    it('refuses an OK given before the end of the stream', async () => {
      // The verdict could not cover the bytes not sent yet.
      const server = await fakeClamd((conn) => conn.once('data', () => conn.write('stream: OK\0')));
      try {
        const scanner = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 5_000 });
        const slow = (async function* () {
          yield Buffer.from('first');
          await new Promise((r) => setTimeout(r, 200));
          yield EICAR;
        })();
        await expectUnavailable(scanner.scan(slow), /answered before the end of the stream/);
      } finally {
        await server.close();
      }
    });

    it('refuses a PING reply other than PONG', async () => {
      const server = await fakeClamd((conn) => conn.once('data', () => conn.end('PANG\0')));
      try {
        const scanner = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 5_000 });
        await expectUnavailable(scanner.ping(), /unexpected PING reply/);
      } finally {
        await server.close();
      }
    });

    it('fails closed on an endless reply', async () => {
      const server = await fakeClamd((conn) => conn.once('data', () => conn.write(Buffer.alloc(10_000, 0x61))));
      try {
        const scanner = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 5_000 });
        await expectUnavailable(scanner.ping(), /oversized reply/);
      } finally {
        await server.close();
      }
    });
  });

  it('refuses a configuration that is neither a socket nor host and port', () => {
    expect(() => new ClamdScanner({ timeoutMs: 1000 })).toThrow(/either socket or host and port/);
    expect(() => new ClamdScanner({ socket: '/x', host: 'h', port: 1, timeoutMs: 1000 })).toThrow(/either socket or host and port/);
    expect(() => new ClamdScanner({ host: 'h', timeoutMs: 1000 })).toThrow(/port between 1 and 65535/);
    expect(() => new ClamdScanner({ socket: '/x', timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new ClamdScanner({ socket: '/x', timeoutMs: 1000, maxChunk: 0 })).toThrow(/maxChunk/);
  });
});

describe(scanWhileStreaming.name, () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-scan-copy-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes the copy to a temporary file; removes it if writing fails; `discarded` records discard calls. */
  function fileSink(name: string, discarded: string[] = []): CopySink<string> {
    const file = path.join(dir, name);
    return {
      async write(copy, signal) {
        try {
          await pipeline(copy, fs.createWriteStream(file), { signal });
          return file;
        } catch (err) {
          await fs.promises.rm(file, { force: true });
          throw err;
        }
      },
      async discard(copy) {
        discarded.push(copy);
        await fs.promises.rm(copy, { force: true });
      },
    };
  }

  it('gives the verdict and a complete copy of a clean file; the caller keeps it', async () => {
    const data = randomBytes(4 * MiB);
    const result = await scanWhileStreaming(sut, chunked(data, 64 * 1024), fileSink('clean.bin'));
    expect(result.verdict).toEqual({ clean: true });
    expect(sha256(fs.readFileSync(result.copy))).toBe(sha256(data));
  });

  it('gives the infected verdict with the complete copy, so the caller can delete it', async () => {
    const data = Buffer.concat([randomBytes(3 * MiB), EICAR, randomBytes(1000)]);
    const sink = fileSink('infected.bin');
    const result = await scanWhileStreaming(sut, Readable.from(chunked(data, 100_000)), sink);
    expect(result.verdict).toEqual({ clean: false, signature: 'Custom.EICAR.Body.UNOFFICIAL' });
    expect(fs.statSync(result.copy).size).toBe(data.length);
    await sink.discard(result.copy);
    expect(fs.existsSync(result.copy)).toBe(false);
  });

  it('rejects and leaves no copy when the scanner is unavailable', async () => {
    const discarded: string[] = [];
    const missing = new ClamdScanner({ socket: path.join(runDir, 'missing.sock'), timeoutMs: 5_000 });
    await expectUnavailable(scanWhileStreaming(missing, chunked(randomBytes(2 * MiB), 64 * 1024), fileSink('unavailable.bin', discarded)));
    expect(fs.existsSync(path.join(dir, 'unavailable.bin'))).toBe(false);
  });

  it('discards a copy that completed when the verdict then fails (timeout)', async () => {
    const server = await fakeClamd((conn) => conn.resume());
    try {
      const discarded: string[] = [];
      const silent = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 500 });
      await expectUnavailable(
        scanWhileStreaming(silent, Readable.from([randomBytes(1000)]), fileSink('timeout.bin', discarded)),
        /no answer/,
      );
      expect(discarded).toEqual([path.join(dir, 'timeout.bin')]);
      expect(fs.existsSync(path.join(dir, 'timeout.bin'))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('rejects with the input’s error and leaves no copy', async () => {
    const failing = (async function* () {
      yield randomBytes(500_000);
      throw new Error('client aborted the upload');
    })();
    await expect(scanWhileStreaming(sut, failing, fileSink('aborted.bin'))).rejects.toThrow('client aborted the upload');
    expect(fs.existsSync(path.join(dir, 'aborted.bin'))).toBe(false);
  });

  it('rejects with the sink’s error, without a verdict, when the copy fails', async () => {
    let written = 0;
    const failingSink: CopySink<string> = {
      write: (copy) =>
        pipeline(
          copy,
          new Writable({
            write(chunk: Buffer, _enc, done) {
              written += chunk.length;
              done(written > MiB ? new Error('disk full') : null);
            },
          }),
        ).then(() => 'never'),
      discard: async () => {
        throw new Error('nothing to discard');
      },
    };
    await expect(scanWhileStreaming(sut, chunked(randomBytes(5 * MiB), 64 * 1024), failingSink)).rejects.toThrow('disk full');
  });

  it('reports a copy that could not be discarded', async () => {
    const server = await fakeClamd((conn) => conn.resume());
    try {
      const silent = new ClamdScanner({ host: '127.0.0.1', port: server.port, timeoutMs: 300 });
      const sink: CopySink<string> = {
        write: async (copy) => {
          for await (const _chunk of copy) void _chunk;
          return 'copy';
        },
        discard: async () => {
          throw new Error('rm failed');
        },
      };
      const err = await scanWhileStreaming(silent, Readable.from([Buffer.from('x')]), sink).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AggregateError);
      const errors = (err as AggregateError).errors;
      expect(errors[0]).toBeInstanceOf(ScannerUnavailableError);
      expect((errors[1] as Error).message).toBe('rm failed');
    } finally {
      await server.close();
    }
  });
});
