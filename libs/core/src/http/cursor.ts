import { ValidationFailedError } from '../errors/domain-error';
import { UUID_PATTERN } from './id-param';
import { isInstant } from './dates';

/** Opaque keyset cursor: base64url JSON of the last row's sort key. */
export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * What a cursor field holds. The services share one naming convention for their
 * sort keys, so the kind follows from the name unless the caller says otherwise:
 * `c` a creation timestamp, `i` a row id, `s` a chain sequence number, `u` a
 * flag (`0` or `1`, e.g. unread first).
 */
export type CursorFieldKind = 'timestamp' | 'uuid' | 'seq' | 'flag';
const KIND_BY_NAME: Record<string, CursorFieldKind> = { c: 'timestamp', i: 'uuid', s: 'seq', u: 'flag' };

// Sequence numbers are bigint in PostgreSQL; 15 digits stay exact in a JS number
// and far above any real chain length.
const SEQ = /^[0-9]{1,15}$/;
const MAX_CURSOR_FIELD = 64;

function fieldOk(kind: CursorFieldKind | undefined, v: string): boolean {
  if (v.length > MAX_CURSOR_FIELD) return false;
  switch (kind) {
    case 'timestamp':
      return isInstant(v);
    case 'uuid':
      return UUID_PATTERN.test(v);
    case 'seq':
      return SEQ.test(v);
    case 'flag':
      return v === '0' || v === '1';
    default:
      return !v.includes('\u0000');
  }
}

/**
 * Decodes a cursor made by {@link encodeCursor}. A cursor comes back from the
 * client, so it is untrusted input: every field is checked against its kind
 * (timestamp in range, UUID, decimal sequence) here, because the services cast
 * them in SQL (`::timestamptz`, `::uuid`, bigint) and a hand-made cursor that
 * reached the cast answered 500 (issue 13, finding 12). Any problem is 400
 * validation_failed on the field `cursor`.
 */
export function decodeCursor<K extends string>(
  cursor: string | undefined,
  fields: readonly K[],
  kinds: Partial<Record<K, CursorFieldKind>> = {},
): Record<K, string> | undefined {
  if (!cursor) return undefined;
  const invalid = () => new ValidationFailedError([{ field: 'cursor', code: 'invalid_cursor', message: 'cursor is invalid' }]);
  if (cursor.length > 1000 || !/^[A-Za-z0-9_-]+={0,2}$/.test(cursor)) throw invalid();
  let obj: unknown;
  try {
    obj = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (e) {
    // Not JSON: the same refusal as a wrong field; the parse error itself says nothing useful to the client.
    if (e instanceof SyntaxError) throw invalid();
    throw e;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw invalid();
  const out = {} as Record<K, string>;
  for (const f of fields) {
    const v = (obj as Record<string, unknown>)[f];
    if (typeof v !== 'string' || !fieldOk(kinds[f] ?? KIND_BY_NAME[f], v)) throw invalid();
    out[f] = v;
  }
  return out;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
