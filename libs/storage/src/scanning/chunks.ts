import type { Readable } from 'node:stream';

/**
 * The chunks of a Readable, one by one, as they were pushed: a replacement for
 * `for await (const c of readable)` / `readable.iterator()` on byte streams that
 * never copies. Node's own iterator calls `read()`, which joins everything
 * buffered into one new Buffer whenever more than one chunk is waiting; for a
 * 20 MB upload read through three such iterators (busboy's file, the scanner's
 * and the store's side) that was about a quarter of the app's CPU time per upload,
 * mostly fresh allocations and the garbage collection after them (bench, issue 20).
 *
 * Same outcomes as Node's iterator: the stream's error is thrown (before any chunk
 * still queued); a stream that closes without 'end' (destroyed without an error)
 * throws ERR_STREAM_PREMATURE_CLOSE, so a torn-down input is never taken for a
 * complete one; leaving early destroys the stream unless `destroyOnReturn` is false
 * (then it is paused and left to its owner). Backpressure: at most two chunks are
 * taken from the stream ahead of the consumer.
 */
export async function* chunksOf(stream: Readable, options: { destroyOnReturn?: boolean } = {}): AsyncGenerator<unknown> {
  const destroyOnReturn = options.destroyOnReturn ?? true;
  const queue: unknown[] = [];
  let ended = stream.readableEnded;
  let closed = false;
  let error: unknown = stream.errored ?? undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: unknown) => {
    queue.push(chunk);
    if (queue.length >= 2) stream.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (e: unknown) => {
    if (error === undefined) error = e;
    notify();
  };
  const onClose = () => {
    closed = true;
    notify();
  };
  if (!ended && stream.destroyed && error === undefined) closed = true;
  stream.on('error', onError);
  stream.on('end', onEnd);
  stream.on('close', onClose);
  stream.on('data', onData);
  let finished = false;
  try {
    for (;;) {
      if (error !== undefined) throw error;
      if (queue.length) {
        const chunk = queue.shift();
        if (queue.length < 2 && !ended) stream.resume();
        yield chunk;
        continue;
      }
      if (ended) {
        finished = true;
        return;
      }
      if (closed) throw Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('close', onClose);
    stream.off('error', onError);
    if (!finished) {
      if (destroyOnReturn) stream.destroy();
      else stream.pause();
    }
  }
}
