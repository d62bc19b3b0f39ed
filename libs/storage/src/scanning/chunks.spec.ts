import { PassThrough, Readable } from 'node:stream';
import { chunksOf } from './chunks';

async function collect(it: AsyncGenerator<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe(chunksOf.name, () => {
  it('yields the very buffers that were pushed, never a joined copy', async () => {
    const pieces = [Buffer.from('a'.repeat(1000)), Buffer.from('b'.repeat(1000)), Buffer.from('c'.repeat(10))];
    const s = new PassThrough();
    // All three are buffered before the first read: Node's own iterator would join them.
    for (const p of pieces) s.write(p);
    s.end();
    const got = await collect(chunksOf(s));
    expect(got).toHaveLength(3);
    got.forEach((g, i) => expect(g).toBe(pieces[i]));
  });

  it("throws the stream's error", async () => {
    const s = new PassThrough();
    s.write(Buffer.from('x'));
    setImmediate(() => s.destroy(new Error('boom')));
    await expect(collect(chunksOf(s))).rejects.toThrow('boom');
  });

  it('throws ERR_STREAM_PREMATURE_CLOSE for a stream destroyed without an error, so it is never taken as complete', async () => {
    const s = new PassThrough();
    s.write(Buffer.from('x'));
    setImmediate(() => s.destroy());
    await expect(collect(chunksOf(s))).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('throws at once for a stream that was already destroyed', async () => {
    const s = new PassThrough();
    s.destroy();
    await expect(collect(chunksOf(s))).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('ends for a stream that already ended', async () => {
    const s = Readable.from([Buffer.from('x')]);
    expect(await collect(chunksOf(s))).toHaveLength(1);
    expect(await collect(chunksOf(s))).toEqual([]);
  });

  it('destroys the stream when left early, or only pauses it with destroyOnReturn: false', async () => {
    for (const destroyOnReturn of [true, false]) {
      const s = new PassThrough();
      s.write(Buffer.from('1'));
      s.write(Buffer.from('2'));
      for await (const c of chunksOf(s, { destroyOnReturn })) {
        expect(String(c)).toBe('1');
        break;
      }
      expect(s.destroyed).toBe(destroyOnReturn);
      if (!destroyOnReturn) expect(s.isPaused()).toBe(true);
    }
  });

  it('keeps backpressure: takes at most two chunks ahead of a slow consumer', async () => {
    let produced = 0;
    const s = new Readable({
      highWaterMark: 1,
      read() {
        produced++;
        this.push(produced > 100 ? null : Buffer.alloc(1024));
      },
    });
    let consumed = 0;
    for await (const c of chunksOf(s)) {
      consumed++;
      expect((c as Buffer).length).toBe(1024);
      expect(produced - consumed).toBeLessThanOrEqual(4);
      await new Promise((r) => setImmediate(r));
    }
    expect(consumed).toBe(100);
  });
});
