// The public surface of libs/storage: the blob store port (fs, S3) and the malware scanner port (clamd),
// content sniffing, their factories and readiness checks. Depends on core only.
export * from './storage.module';
export * from './tokens';
export * from './blobs';
export * from './scanning/scanner';
export { ClamdScanner, scanWhileStreaming } from './scanning/clamd-scanner';
export { chunksOf } from './scanning/chunks';
export { SNIFF_BYTES, sniffType } from './scanning/sniff';
