import { DomainError } from '@charlotte/core';

/** What the scanner decided about the whole stream. `signature` names what was found (e.g. `Win.Test.EICAR_HDB-1`). */
export type ScanVerdict = { clean: true } | { clean: false; signature: string };

/** The bytes to scan: a Node stream (e.g. an upload) or any async iterable of chunks. Chunks must be bytes, not strings. */
export type ScanInput = NodeJS.ReadableStream | AsyncIterable<Buffer>;

/**
 * The port the upload code depends on; `ClamdScanner` is the implementation,
 * tests may use a fake. Every method fails closed: when the scanner cannot
 * give an answer, the promise rejects and no file may be accepted.
 */
export interface MalwareScanner {
  /**
   * Scans a stream, consuming it completely before a verdict is given (a verdict
   * on part of a file would be worthless). Rejects with ScannerUnavailableError
   * when the scanner cannot answer (fail closed), or with the input's own error
   * when the input fails (e.g. the client aborted the upload). On rejection the
   * input is left where reading stopped and is not destroyed: the caller
   * discards it (`resume()` or `destroy()`).
   */
  scan(input: ScanInput): Promise<ScanVerdict>;
  /** Resolves when the scanner answers; rejects with ScannerUnavailableError otherwise. For /health/ready. */
  ping(): Promise<void>;
}

/**
 * The scanner could not answer: refused connection, timeout, an ERROR reply
 * (including clamd's stream size limit) or a reply we do not understand.
 *
 * A DomainError (503) so the single exception filter answers problem+json with
 * code `scanner_unavailable`. The public `detail` is fixed on purpose: the
 * reason (socket path, host, clamd's message) is internal and stays in
 * `message`/`reason`/`cause` for the logs, never in the answer.
 */
export class ScannerUnavailableError extends DomainError {
  override readonly code = 'scanner_unavailable';

  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      503,
      'scanner_unavailable',
      'Malware scanner unavailable',
      'Uploaded files cannot be checked for malware right now; try again later.',
    );
    this.name = 'ScannerUnavailableError';
    this.message = `malware scanner unavailable: ${reason}`;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
