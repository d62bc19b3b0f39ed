import { Readable } from 'node:stream';
import * as yazl from 'yazl';

/** A ZIP of the given entries (name → content), in insertion order. */
export async function zipEntries(entries: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries)) {
    zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), name, { mtime: new Date('2026-01-01T00:00:00Z') });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(zip.outputStream as AsyncIterable<Buffer>)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
