export * from './errors';
export {
  assertSealContext,
  encodeSealContext,
  MAX_SEAL_CONTEXT_FIELD_BYTES,
  SEAL_AAD_DOMAIN,
  SEAL_PURPOSE_PATTERN,
  type SealContext,
} from './aad';
export {
  MAX_SEALED_VALUE_BYTES,
  openValue,
  openValueAsync,
  peekKeyVersion,
  sealValue,
  SEALED_VALUE_OVERHEAD,
  type AsyncDekLookup,
  type DekLookup,
} from './sealed-value';
export {
  createOpenStream,
  createSealStream,
  DEFAULT_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
  SEALED_CHUNK_OVERHEAD,
  SEALED_STREAM_HEADER_BYTES,
  sealedStreamSize,
  type SealStreamOptions,
} from './sealed-stream';
