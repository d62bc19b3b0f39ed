/**
 * Worker thread of a parallel chain verification (AuditService.verify): reads one
 * range of the chain with binary COPY on its own connection, in the snapshot of
 * the verification, and posts the range's verdict. Imports node built-ins, pg and
 * chain-range/canonical only, so that it runs from dist and, in jest, from source.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client, ClientConfig } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { RANGE_PLAN_SQL, RangeResult, RangeSpec, rangeCopySql, RangeVerifier } from './chain-range';

export interface VerifyWorkerData {
  connection: ClientConfig;
  /** pg_export_snapshot() of the verifying transaction: every range reads the same instant. */
  snapshot: string;
  chain: string;
  range: RangeSpec;
  /** Signed head checkpoints within the chain, [seq, hash]. */
  checkpoints: Array<[number, Uint8Array]>;
}

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

async function run(d: VerifyWorkerData): Promise<void> {
  const client = new Client(d.connection);
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${client.escapeLiteral(d.snapshot)}`);
    await client.query(RANGE_PLAN_SQL);
    const verifier = new RangeVerifier(d.chain, new Map(d.checkpoints.map(([seq, h]) => [seq, asBuffer(h)])));
    const stream = client.query(copyTo(rangeCopySql(d.chain, d.range)));
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (!verifier.push(chunk)) break;
    }
    const r = verifier.end();
    // copies of the hashes: views into a COPY chunk would clone the whole chunk
    const result: RangeResult = {
      first: r.first && { seq: r.first.seq, prevHash: Buffer.from(r.first.prevHash) },
      checked: r.checked,
      last: r.last && { seq: r.last.seq, hash: Buffer.from(r.last.hash) },
      broken: r.broken,
    };
    parentPort!.postMessage({ result });
  } finally {
    // a break ends the COPY early: the connection is dropped rather than drained
    await client.end().catch(() => undefined);
  }
}

run(workerData as VerifyWorkerData).catch((e: unknown) => {
  parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
});
