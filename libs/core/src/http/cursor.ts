import { ValidationFailedError } from '../errors/domain-error';

/** Opaque keyset cursor: base64url JSON of the last row's sort key. */
export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<K extends string>(cursor: string | undefined, fields: readonly K[]): Record<K, string> | undefined {
  if (!cursor) return undefined;
  try {
    const obj = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const out = {} as Record<K, string>;
    for (const f of fields) {
      if (typeof obj[f] !== 'string') throw new Error('bad cursor');
      out[f] = obj[f] as string;
    }
    return out;
  } catch {
    throw new ValidationFailedError([{ field: 'cursor', message: 'cursor is invalid' }]);
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
