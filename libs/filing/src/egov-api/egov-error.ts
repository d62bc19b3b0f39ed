/**
 * How a call to e-Gov failed: retry later (`transient`), never (`permanent`),
 * or the token is bad (`auth`). `maybeProcessed` is true when e-Gov may have
 * acted on the request even though we got no usable answer (a timeout, a
 * dropped connection, a 2xx we could not read): a retry of a non-idempotent
 * call must then first look at what e-Gov has. An error answer (4xx, 5xx,
 * 429) means it did not act.
 *
 * `report` carries e-Gov's own error report (form_name, item, content of
 * `report_list`) for a permanent refusal, to show the user what to fix; it is
 * the government's wording about the package, never our data.
 */
export class EgovError extends Error {
  constructor(
    readonly kind: 'transient' | 'permanent' | 'auth',
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    readonly maybeProcessed = false,
    readonly report: ReadonlyArray<{ formName?: string; item?: string; content: string }> = [],
  ) {
    super(message);
    this.name = 'EgovError';
  }
}
