import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import {
  AbortMultipartUploadCommand,
  CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  assertBlobKey,
  assertBlobPrefix,
  BlobBody,
  BlobExistsError,
  BlobInfo,
  BlobNotFoundError,
  BlobSource,
  BlobStore,
  BlobStoreError,
  BlobStoreUnavailableError,
  isValidBlobKey,
} from './blob-store';

/** Connection settings (the app's BLOB_S3_* variables). */
export interface S3BlobStoreConfig {
  /** e.g. `https://s3.example.jp` for an S3-compatible service; omitted for AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`; most non-AWS services and s3rver need it. */
  forcePathStyle?: boolean;
}

/** Tuning, mainly for tests. */
export interface S3BlobStoreOptions {
  /** MaxKeys per ListObjectsV2 page (default 1000, the S3 maximum). */
  listPageSize?: number;
  /** Timeout of ping() (default 5 s). */
  pingTimeoutMs?: number;
}

/** 8 MiB parts: above S3's 5 MiB minimum; 10 000 parts → blobs up to 78 GiB. */
export const S3_PART_SIZE = 8 * 1024 * 1024;
const S3_MAX_PARTS = 10_000;

type S3Failure = 'not_found' | 'exists' | 'unavailable' | 'other';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const UNAVAILABLE_NAMES = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'CredentialsProviderError', 'NoSuchBucket', 'SlowDown']);

function classify(err: unknown): S3Failure {
  if (typeof err !== 'object' || err === null) return 'other';
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = typeof e.name === 'string' ? e.name : '';
  if (UNAVAILABLE_NAMES.has(name)) return 'unavailable';
  if (name === 'NoSuchKey' || name === 'NotFound') return 'not_found';
  // 412: our If-None-Match: * lost (the key exists). 409 ConditionalRequestConflict:
  // another conditional write of the same key is in flight; since our body is
  // consumed we cannot retry, and the other writer is taking the key.
  if (status === 412 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') return 'exists';
  if (status !== undefined && (status >= 500 || status === 401 || status === 403 || status === 408 || status === 429)) return 'unavailable';
  if (status === undefined) {
    // No HTTP answer at all. `$metadata` is added by the SDK's retry step, so
    // the request was sent (and retried) and the network failed — as opposed
    // to an argument the SDK refused before sending, which stays a bug. The
    // code check covers errors that arrive without it.
    if (e.$metadata !== undefined) return 'unavailable';
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return 'unavailable';
  }
  return 'other';
}

/**
 * Blobs as objects of one bucket, through @aws-sdk/client-s3 (no
 * @aws-sdk/lib-storage: it is not installed, and the upload below is short).
 *
 * - Upload without knowing the size: the body is cut into 8 MiB parts in
 *   memory, one part in flight at a time (so at most ~16 MiB per upload and
 *   natural back-pressure on the source). A body that ends within the first
 *   part goes as one PutObject; anything longer as CreateMultipartUpload /
 *   UploadPart / CompleteMultipartUpload, and AbortMultipartUpload on any
 *   failure. Parts are Buffers with a known length, and checksums are
 *   computed only when required (stack.md trap): the SDK then sends plain
 *   bodies, never `aws-chunked` framing that some servers would store as-is.
 * - Never overwrite: HeadObject first (fails fast, before reading the body),
 *   then `If-None-Match: *` on the final PutObject/CompleteMultipartUpload,
 *   which AWS S3 (since 2024-08) honours atomically (412 → BlobExistsError).
 *   A server that ignores the header — s3rver 3.7 does, its putObject and
 *   completeMultipartUpload never read it — leaves a race between the
 *   HeadObject and the final step: two concurrent puts of the same key can
 *   both succeed, the later one replacing the earlier. Keys are unique ids
 *   chosen by our services, so this needs two writers of the same id.
 * - Retries of the final step: if a CompleteMultipartUpload succeeded but its
 *   answer was lost, the SDK's retry meets our own object and gets 412; put
 *   then reports BlobExistsError while the blob is stored. Rare; the caller's
 *   row is not written, the object is an orphan a sweep of list() can find.
 * - Abort can fail (network, or a server without AbortMultipartUpload —
 *   s3rver 3.7 answers 405); it is logged, and the bucket should carry a
 *   lifecycle rule "AbortIncompleteMultipartUpload after 1 day" for this.
 * - Permissions needed: s3:GetObject, PutObject, DeleteObject,
 *   AbortMultipartUpload, ListBucket (without ListBucket, HeadObject of a
 *   missing key answers 403 instead of 404 and every put would fail).
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly listPageSize: number;
  private readonly pingTimeoutMs: number;
  private readonly logger = new Logger('S3BlobStore');

  constructor(config: S3BlobStoreConfig, options: S3BlobStoreOptions = {}) {
    this.bucket = config.bucket;
    this.listPageSize = options.listPageSize ?? 1000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5000;
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: config.forcePathStyle ?? false,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      // stack.md: without these, SDK ≥ 3.729 adds CRC32 trailers to streamed
      // uploads with aws-chunked framing, which S3-compatible servers may store
      // inside the object, and validates checksums servers may not send.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A dead endpoint must fail readiness and requests, not hang them. The
      // socket timeout is for idle sockets only: a slow download that reads
      // the body with back-pressure still moves every few seconds.
      requestHandler: { connectionTimeout: 5000, socketTimeout: 120_000 },
    });
  }

  async put(key: string, body: BlobBody): Promise<BlobInfo> {
    const source = new BlobSource(body);
    let uploadId: string | undefined;
    try {
      assertBlobKey(key);
      if (await this.exists(key)) throw new BlobExistsError(key);

      const parts: CompletedPart[] = [];
      let pending: Buffer[] = [];
      let pendingLength = 0;
      let size = 0;
      const flushPart = async (): Promise<void> => {
        const part = Buffer.concat(pending, pendingLength);
        pending = [];
        pendingLength = 0;
        if (parts.length >= S3_MAX_PARTS) throw new RangeError(`Blob larger than ${S3_MAX_PARTS} parts of ${S3_PART_SIZE} bytes`);
        uploadId ??= await this.createUpload(key);
        parts.push(await this.uploadPart(key, uploadId, parts.length + 1, part));
      };

      for await (const chunk of source.chunks()) {
        size += chunk.length;
        let offset = 0;
        while (offset < chunk.length) {
          const take = Math.min(S3_PART_SIZE - pendingLength, chunk.length - offset);
          pending.push(chunk.subarray(offset, offset + take));
          pendingLength += take;
          offset += take;
          if (pendingLength === S3_PART_SIZE) await flushPart();
        }
      }

      if (uploadId === undefined) {
        await this.call(key, () =>
          this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: key,
              Body: Buffer.concat(pending, pendingLength),
              ContentLength: pendingLength,
              ContentType: 'application/octet-stream',
              IfNoneMatch: '*',
            }),
          ),
        );
      } else {
        if (pendingLength > 0) await flushPart();
        await this.call(key, () =>
          this.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: uploadId,
              MultipartUpload: { Parts: parts },
              IfNoneMatch: '*',
            }),
          ),
        );
        uploadId = undefined;
      }
      return { key, size };
    } catch (err) {
      if (uploadId !== undefined) await this.abortUpload(key, uploadId);
      await source.discard();
      throw err;
    }
  }

  async get(key: string): Promise<NodeJS.ReadableStream> {
    assertBlobKey(key);
    const out = await this.call(key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    if (!(out.Body instanceof Readable)) {
      // The Node runtime of the SDK always answers an IncomingMessage.
      throw new Error('S3 GetObject returned no Node stream');
    }
    return out.Body;
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    assertBlobKey(key);
    try {
      const out = await this.call(key, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return { key, size: out.ContentLength ?? 0 };
    } catch (err) {
      if (err instanceof BlobNotFoundError) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    // S3 answers 204 whether or not the key existed: idempotent by itself.
    await this.call(key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async *list(prefix: string): AsyncGenerator<BlobInfo> {
    assertBlobPrefix(prefix);
    let token: string | undefined;
    do {
      const page = await this.call(prefix, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: this.listPageSize, ContinuationToken: token }),
        ),
      );
      for (const object of page.Contents ?? []) {
        // Objects this store could not have written (foreign tools sharing the bucket) are skipped.
        if (object.Key !== undefined && isValidBlobKey(object.Key)) yield { key: object.Key, size: object.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: AbortSignal.timeout(this.pingTimeoutMs) });
    } catch (err) {
      throw new BlobStoreUnavailableError(`Bucket ${this.bucket} is not reachable: ${describe(err)}`, { cause: err });
    }
  }

  /** Closes the client's keep-alive sockets (module shutdown, tests). */
  destroy(): void {
    this.client.destroy();
  }

  // -------------------------------------------------------------------------

  private async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  private async createUpload(key: string): Promise<string> {
    const out = await this.call(key, () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'application/octet-stream' })),
    );
    if (!out.UploadId) throw new Error('S3 CreateMultipartUpload returned no UploadId');
    return out.UploadId;
  }

  private async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<CompletedPart> {
    const out = await this.call(key, () =>
      this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.length,
        }),
      ),
    );
    return { PartNumber: partNumber, ETag: out.ETag };
  }

  private async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      // The put's own error is what the caller gets; the parts left behind are
      // invisible to get/list and removed by the bucket's lifecycle rule.
      this.logger.warn(`AbortMultipartUpload failed for ${key} (upload ${uploadId}): ${describe(err)}`);
    }
  }

  /** Runs one S3 call and turns its failures into BlobStore errors (source-stream errors never pass here). */
  private async call<T>(key: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw this.mapError(err, key);
    }
  }

  private mapError(err: unknown, key: string): unknown {
    if (err instanceof BlobStoreError) return err;
    switch (classify(err)) {
      case 'not_found':
        return new BlobNotFoundError(key);
      case 'exists':
        return new BlobExistsError(key);
      case 'unavailable':
        return new BlobStoreUnavailableError(`Object storage failed for ${JSON.stringify(key)}: ${describe(err)}`, { cause: err });
      default:
        return err;
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return `${err.name}${status ? ` (HTTP ${status})` : ''}: ${err.message}`;
  }
  return String(err);
}
