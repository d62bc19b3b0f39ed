/**
 * A small clamd client (INSTREAM, PING) and `scanWhileStreaming`, the tee that
 * scans an upload while a copy of it is written.
 *
 * Why hand-written: we need three commands of clamd's documented socket
 * protocol (zINSTREAM, zPING, and the length-prefixed chunks of INSTREAM). The
 * npm `clamscan` package mostly drives the clamscan/clamdscan binaries (spawned
 * processes, temporary files) and buffers; here we want a stream with
 * backpressure, one overall deadline and an explicit fail-closed error mapping,
 * with nothing but node:net.
 *
 * Limits (configure clamd to match; scripts/clamd-start.sh does for dev/CI):
 *  - clamd's StreamMaxLength MUST be at least our upload limit: a longer stream
 *    is cut off by clamd with "INSTREAM size limit exceeded. ERROR", which we
 *    map to ScannerUnavailableError, so an over-long file is refused as
 *    "unavailable" (503) rather than as "too large". Enforce the upload limit
 *    before scanning so that the client gets the right answer.
 *  - clamd's MaxFileSize and MaxScanSize must be at least StreamMaxLength, and
 *    AlertExceedsMax should be on: otherwise clamd answers OK for data it
 *    skipped because of its limits (fail open).
 *  - `timeoutMs` is one deadline for the whole command: connecting, reading the
 *    input (a slow upload counts), sending it and clamd's answer. Choose it for
 *    the slowest upload you accept, or scan from the stored copy instead.
 *  - clamd stores the stream in its TemporaryDirectory before scanning: it needs
 *    disk space for the largest upload times its MaxThreads.
 */
import * as net from 'node:net';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { metrics } from '@charlotte/core';
import { chunksOf } from './chunks';
import { MalwareScanner, ScanInput, ScanVerdict, ScannerUnavailableError } from './scanner';

/** Seconds from connecting to clamd to its verdict; the upload is read meanwhile, so large files count fully. */
const scanDuration = () =>
  metrics.histogram(
    'charlotte_scanner_duration_seconds',
    'Malware scans by clamd, by result',
    ['result'] as const,
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );

/** Where clamd listens: a Unix socket path, or a TCP host and port (exactly one of the two). */
export interface ClamdConfig {
  socket?: string;
  host?: string;
  port?: number;
  /** Deadline for a whole command (scan or ping), in milliseconds. */
  timeoutMs: number;
  /**
   * Largest INSTREAM chunk we send. Input chunks are gathered (as views, no copy) up
   * to this size and each INSTREAM chunk goes out as one writev (length header and
   * data together); bigger input chunks are split. Default 1 MiB: at most that much
   * of one upload is held here. Must stay below clamd's StreamMaxLength.
   */
  maxChunk?: number;
}

/**
 * 1 MiB since issue 20 (64 KiB before): a 20 MB upload was 610 socket writes to clamd
 * (a 4-byte header and a 64 KiB part each), the largest single cost on the app's
 * thread in the upload profile; now it is 20 writev calls.
 */
const DEFAULT_MAX_CHUNK = 1024 * 1024;
/** Buffering between the upload and the scanner/copy sides of scanWhileStreaming. */
const DEFAULT_TEE_HIGH_WATER_MARK = 64 * 1024;
const MAX_CHUNK_LIMIT = 8 * 1024 * 1024;
/** clamd's replies are one short line; anything longer without the NUL terminator is not clamd. */
const MAX_REPLY_BYTES = 4096;
const INSTREAM = Buffer.from('zINSTREAM\0', 'latin1');
const PING = Buffer.from('zPING\0', 'latin1');
/** A zero-length chunk ends the INSTREAM data. */
const END_OF_STREAM = Buffer.alloc(4);

export class ClamdScanner implements MalwareScanner {
  private readonly maxChunk: number;

  constructor(private readonly config: ClamdConfig) {
    const hasSocket = config.socket !== undefined && config.socket !== '';
    const hasTcp = config.host !== undefined || config.port !== undefined;
    if (hasSocket === hasTcp) throw new Error('ClamdScanner: configure either socket or host and port');
    if (hasTcp && (!config.host || !Number.isInteger(config.port) || config.port! < 1 || config.port! > 65535)) {
      throw new Error('ClamdScanner: host and a port between 1 and 65535 are required for TCP');
    }
    if (!Number.isFinite(config.timeoutMs) || config.timeoutMs <= 0) throw new Error('ClamdScanner: timeoutMs must be a positive number');
    this.maxChunk = config.maxChunk ?? DEFAULT_MAX_CHUNK;
    if (!Number.isInteger(this.maxChunk) || this.maxChunk < 1 || this.maxChunk > MAX_CHUNK_LIMIT) {
      throw new Error(`ClamdScanner: maxChunk must be an integer between 1 and ${MAX_CHUNK_LIMIT}`);
    }
  }

  async ping(): Promise<void> {
    const session = new ClamdSession(this.config);
    try {
      await session.connected();
      await session.finish(PING);
      const reply = await session.reply();
      if (reply !== 'PONG') throw new ScannerUnavailableError(`unexpected PING reply ${JSON.stringify(reply.slice(0, 100))}`);
    } finally {
      session.close();
    }
  }

  /** Times every scan in `charlotte_scanner_duration_seconds{result}` (clean, infected, unavailable, input_error). */
  async scan(input: ScanInput): Promise<ScanVerdict> {
    const end = scanDuration().startTimer();
    try {
      const verdict = await this.instream(input);
      end({ result: verdict.clean ? 'clean' : 'infected' });
      return verdict;
    } catch (e) {
      end({ result: e instanceof ScannerUnavailableError ? 'unavailable' : 'input_error' });
      throw e;
    }
  }

  private async instream(input: ScanInput): Promise<ScanVerdict> {
    const session = new ClamdSession(this.config);
    const chunks = iterate(input);
    let consumed = false;
    try {
      await session.connected();
      await session.write(INSTREAM);
      // Views of the input gathered into the next INSTREAM chunk (at most maxChunk bytes).
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const send = async (): Promise<void> => {
        // Never send an empty chunk: a zero length ends the stream for clamd,
        // which would then scan only what came before it.
        if (pendingBytes === 0) return;
        const header = Buffer.allocUnsafe(4);
        header.writeUInt32BE(pendingBytes, 0);
        const parts = [header, ...pending];
        pending = [];
        pendingBytes = 0;
        await session.writev(parts);
      };
      for (;;) {
        // Raced with the session so that a stalled input cannot outlive the deadline.
        const next = await session.race(chunks.next());
        if (next.done) break;
        const chunk = toBuffer(next.value);
        for (let offset = 0; offset < chunk.length;) {
          const part = chunk.subarray(offset, offset + (this.maxChunk - pendingBytes));
          pending.push(part);
          pendingBytes += part.length;
          offset += part.length;
          if (pendingBytes === this.maxChunk) await send();
        }
      }
      await send();
      consumed = true;
      await session.finish(END_OF_STREAM);
      return parseInstreamReply(await session.reply());
    } finally {
      session.close();
      if (!consumed) releaseIterator(chunks);
    }
  }
}

/** Maps clamd's INSTREAM reply to a verdict; anything unexpected fails closed. */
function parseInstreamReply(reply: string): ScanVerdict {
  if (reply === 'stream: OK') return { clean: true };
  const found = /^stream: (.+) FOUND$/.exec(reply);
  // A signature name is printable ASCII; refuse anything else rather than pass it on to logs and audit.
  if (found && /^[\x20-\x7e]{1,256}$/.test(found[1])) return { clean: false, signature: found[1] };
  if (reply.endsWith(' ERROR')) throw new ScannerUnavailableError(`clamd: ${reply.slice(0, 200)}`);
  throw new ScannerUnavailableError(`unexpected INSTREAM reply ${JSON.stringify(reply.slice(0, 100))}`);
}

/**
 * One connection for one command, with its deadline and reply reader. The
 * first failure (socket error, deadline, unexpected close, early or oversized
 * reply) wins, destroys the socket and rejects every pending wait.
 */
class ClamdSession {
  private readonly socket: net.Socket;
  private readonly timer: NodeJS.Timeout;
  private readonly failure: Promise<never>;
  private rejectFailure!: (err: Error) => void;
  private error?: Error;
  private readonly received: Buffer[] = [];
  private receivedLength = 0;
  private replyText?: string;
  private replyWaiter?: (text: string) => void;
  private sentAll = false;

  constructor(config: ClamdConfig) {
    this.failure = new Promise<never>((_, reject) => (this.rejectFailure = reject));
    // Every wait races against `failure`; this handler only stops a failure that
    // happens while nothing is waiting from being reported as unhandled. The
    // error itself is kept in `this.error` and rethrown by the next wait.
    this.failure.catch(() => undefined);
    this.timer = setTimeout(() => this.fail(new ScannerUnavailableError(`no answer within ${config.timeoutMs} ms`)), config.timeoutMs);
    this.socket = config.socket ? net.connect({ path: config.socket }) : net.connect({ host: config.host!, port: config.port! });
    this.socket.on('error', (err: NodeJS.ErrnoException) =>
      this.fail(new ScannerUnavailableError(err.code ?? err.message, { cause: err })),
    );
    this.socket.on('data', (data: Buffer) => this.onData(data));
    this.socket.on('close', () => {
      if (this.replyText === undefined) this.fail(new ScannerUnavailableError('clamd closed the connection without a complete reply'));
    });
  }

  race<T>(promise: Promise<T>): Promise<T> {
    if (this.error) return Promise.reject(this.error);
    return Promise.race([promise, this.failure]);
  }

  async connected(): Promise<void> {
    if (this.socket.connecting) await this.race(once(this.socket, 'connect'));
    else if (this.error) throw this.error;
  }

  /** Writes with backpressure: waits for 'drain' when the socket's buffer is full. */
  async write(data: Buffer): Promise<void> {
    if (this.error) throw this.error;
    if (!this.socket.write(data)) await this.race(once(this.socket, 'drain'));
  }

  /** Writes all `parts` in one go (one writev while corked), then waits for 'drain' if the buffer is full. */
  async writev(parts: Buffer[]): Promise<void> {
    if (this.error) throw this.error;
    let ok = true;
    this.socket.cork();
    try {
      for (const p of parts) ok = this.socket.write(p);
    } finally {
      this.socket.uncork();
    }
    if (!ok && this.socket.writableNeedDrain) await this.race(once(this.socket, 'drain'));
  }

  /** Writes the last bytes of the command; only after this may clamd answer. */
  async finish(data: Buffer): Promise<void> {
    this.sentAll = true;
    await this.write(data);
  }

  reply(): Promise<string> {
    if (this.replyText !== undefined) return Promise.resolve(this.replyText);
    return this.race(new Promise<string>((resolve) => (this.replyWaiter = resolve)));
  }

  close(): void {
    clearTimeout(this.timer);
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    if (this.replyText !== undefined || this.error) return;
    this.received.push(data);
    this.receivedLength += data.length;
    const all = Buffer.concat(this.received, this.receivedLength);
    const end = all.indexOf(0);
    if (end < 0) {
      if (all.length > MAX_REPLY_BYTES) this.fail(new ScannerUnavailableError('oversized reply from clamd'));
      return;
    }
    const text = all.subarray(0, end).toString('latin1');
    if (!this.sentAll) {
      // clamd answers early only to refuse (e.g. "INSTREAM size limit exceeded.
      // ERROR"); a verdict that cannot cover the bytes not yet sent is never trusted.
      this.fail(new ScannerUnavailableError(`clamd answered before the end of the stream: ${text.slice(0, 200)}`));
      return;
    }
    this.replyText = text;
    this.replyWaiter?.(text);
  }

  private fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    clearTimeout(this.timer);
    this.socket.destroy();
    this.rejectFailure(err);
  }
}

/**
 * Iterates the input. A Node Readable is iterated with destroyOnReturn: false:
 * when we stop early (scanner failure) the caller still owns the stream and
 * decides how to end it (for an HTTP upload, draining it lets the 503 reach the client).
 */
function iterate(input: ScanInput): AsyncIterator<unknown> {
  // chunksOf, not input.iterator(): the same outcomes without joining buffered chunks into copies.
  if (input instanceof Readable) return chunksOf(input, { destroyOnReturn: false });
  return (input as AsyncIterable<unknown>)[Symbol.asyncIterator]();
}

/** Stops iterating without waiting: a pending next() may never settle if the input stalls. */
function releaseIterator(iterator: AsyncIterator<unknown>): void {
  // Rejections here come from an input we have already given up on, after the
  // primary error has been reported to the caller; there is no one left to tell.
  iterator.return?.().catch(() => undefined);
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // A string chunk means someone called setEncoding(): the bytes were already
  // decoded and re-encoding them would scan something other than the file.
  throw new TypeError(`scan input must yield bytes, got ${typeof chunk}`);
}

/** Where `scanWhileStreaming` writes the copy, and how to remove a complete copy that will not be used. */
export interface CopySink<T> {
  /**
   * Consumes `copy` and resolves, once everything is written, with a handle to
   * it (e.g. the path of a temporary sealed file). Write somewhere that is not
   * yet "accepted". If it fails or `signal` aborts, it removes its own partial output.
   */
  write(copy: Readable, signal: AbortSignal): Promise<T>;
  /** Removes a complete copy; called when the copy was written but the scan failed. */
  discard(copy: T): Promise<void>;
}

/** Both results, given together: the caller keeps the copy if `verdict.clean`, and otherwise discards it (`sink.discard`). */
export interface ScannedCopy<T> {
  verdict: ScanVerdict;
  copy: T;
}

/**
 * Reads `input` once and feeds it at the same time to the scanner and to
 * `sink.write`, at the pace of the slower of the two (backpressure: nothing is
 * buffered beyond `highWaterMark` per side). Resolves only when both the
 * verdict and the complete copy are there; the copy is not "accepted" by this
 * function: the caller decides after reading the verdict.
 *
 * On any failure (scanner unavailable, sink error, input error) both sides are
 * stopped, the function waits until both have settled, removes a copy that
 * had completed (`sink.discard`), and rejects with the first error. So on
 * rejection no copy is left behind, and no verdict is given for a partial stream.
 */
export async function scanWhileStreaming<T>(
  scanner: MalwareScanner,
  input: ScanInput,
  sink: CopySink<T>,
  options: { highWaterMark?: number } = {},
): Promise<ScannedCopy<T>> {
  const highWaterMark = options.highWaterMark ?? DEFAULT_TEE_HIGH_WATER_MARK;
  const toScanner = new PassThrough({ highWaterMark });
  const toCopy = new PassThrough({ highWaterMark });
  const controller = new AbortController();
  let firstError: unknown;
  let failed = false;
  let inputDone = false;
  let rejectFailure!: (err: unknown) => void;
  const failure = new Promise<never>((_, reject) => (rejectFailure = reject));
  // Observed by the races below; the error itself is rethrown as `firstError`.
  failure.catch(() => undefined);

  const abort = (err: unknown): void => {
    if (failed) return;
    failed = true;
    firstError = err;
    controller.abort(err);
    // Destroyed without an error argument: no 'error' event that nobody listens
    // to yet; readers see a premature close, and `firstError` is what we report.
    toScanner.destroy();
    toCopy.destroy();
    rejectFailure(err);
  };

  const scanning = scanner.scan(toScanner).then((verdict) => {
    // A verdict before we fed the whole input cannot cover all of it.
    if (!inputDone) throw new ScannerUnavailableError('verdict before the end of the stream');
    return verdict;
  });
  const copying = Promise.resolve()
    .then(() => sink.write(toCopy, controller.signal))
    .then((copy) => {
      if (!inputDone) throw new Error('scanWhileStreaming: the copy finished before the end of the input');
      return copy;
    });
  scanning.catch(abort);
  copying.catch(abort);

  const pumping = (async () => {
    const chunks = iterate(input);
    let consumed = false;
    try {
      for (;;) {
        const next = await Promise.race([chunks.next(), failure]);
        if (next.done) break;
        const chunk = toBuffer(next.value);
        if (chunk.length === 0) continue;
        const drains: Promise<unknown>[] = [];
        for (const side of [toScanner, toCopy]) if (!side.write(chunk)) drains.push(once(side, 'drain'));
        if (drains.length > 0) await Promise.race([Promise.all(drains), failure]);
      }
      consumed = true;
      inputDone = true;
      toScanner.end();
      toCopy.end();
    } catch (err) {
      abort(err);
      throw err;
    } finally {
      if (!consumed) releaseIterator(chunks);
    }
  })();

  const [pumped, scanned, copied] = await Promise.allSettled([pumping, scanning, copying]);
  if (!failed && pumped.status === 'fulfilled' && scanned.status === 'fulfilled' && copied.status === 'fulfilled') {
    return { verdict: scanned.value, copy: copied.value };
  }
  if (copied.status === 'fulfilled') {
    try {
      await sink.discard(copied.value);
    } catch (discardError) {
      throw new AggregateError([firstError, discardError], 'scanWhileStreaming failed and the copy could not be discarded');
    }
  }
  throw firstError;
}
