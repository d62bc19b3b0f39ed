import { describe, expect, it } from 'vitest';
import type { SchemaField } from '@/api/client';
import SHARED from '../../../../libs/procedures/src/vectors/typed-input.json';
import { inputKindOf, normalizeTypedText, type TypedInputKind } from '@/utils/typedInput';

/** The vectors libs/procedures tests its own implementation with: both must agree. */
const VECTORS = SHARED as { vectors: Array<{ kind: TypedInputKind; input: string; output: string | number; why: string }> };

const field = (f: Partial<SchemaField>): SchemaField => ({ type: 'string', title: 't', 'x-section': 's', 'x-order': 0, ...f });

describe('normalizeTypedText (mirror of libs/procedures typed-input)', () => {
  it('has the shared vectors', () => {
    expect(VECTORS.vectors.length).toBeGreaterThan(20);
  });

  it.each(VECTORS.vectors.map((v) => [v.why, v] as const))('%s', (_why, v) => {
    expect(normalizeTypedText(v.kind, v.input)).toEqual(v.output);
  });

  it('knows each field kind from its JSON Schema', () => {
    expect(inputKindOf(field({ type: 'integer' }))).toBe('integer');
    expect(inputKindOf(field({ format: 'date' }))).toBe('date');
    expect(inputKindOf(field({ 'x-codes': [] }))).toBe('code');
    expect(inputKindOf(field({ 'x-format': 'basic-pension-number' }))).toBe('number-text');
    expect(inputKindOf(field({ 'x-format': 'katakana' }))).toBe('kana');
    expect(inputKindOf(field({ 'x-format': 'kanji-name' }))).toBe('name');
    expect(inputKindOf(field({}))).toBe('text');
  });
});
