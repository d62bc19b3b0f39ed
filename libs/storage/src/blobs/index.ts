// The BlobStore port and its two implementations (architecture.md, "Runtime: blobs").
// BlobSource (body reading shared by the stores) and the test contract stay internal.
export type { BlobBody, BlobErrorCode, BlobInfo, BlobStore } from './blob-store';
export {
  assertBlobKey,
  assertBlobPrefix,
  BlobExistsError,
  BlobKeyConflictError,
  BlobNotFoundError,
  BlobStoreError,
  BlobStoreUnavailableError,
  InvalidBlobKeyError,
  isBlobStoreError,
  isValidBlobKey,
  MAX_BLOB_KEY_LENGTH,
  MAX_BLOB_KEY_SEGMENT_LENGTH,
} from './blob-store';
export type { FsBlobStoreConfig } from './fs-blob-store';
export { FsBlobStore } from './fs-blob-store';
export type { S3BlobStoreConfig, S3BlobStoreOptions } from './s3-blob-store';
export { S3_PART_SIZE, S3BlobStore } from './s3-blob-store';
