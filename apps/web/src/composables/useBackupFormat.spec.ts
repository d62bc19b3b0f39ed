import { describe, expect, it } from 'vitest';
import { formatBytes, shortSha } from '@/composables/useBackupFormat';

describe(formatBytes.name, () => {
  it('uses 1024-based units with one decimal from KB on', () => {
    expect(formatBytes(0, 'ja')).toBe('0 B');
    expect(formatBytes(1023, 'ja')).toBe('1,023 B');
    expect(formatBytes(1536, 'ja')).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024, 'en')).toBe('5.0 MB');
    expect(formatBytes(1.25 * 1024 ** 3, 'ja')).toBe('1.3 GB');
  });

  it('answers an empty string for what is not a size', () => {
    expect(formatBytes(undefined, 'ja')).toBe('');
    expect(formatBytes(-1, 'ja')).toBe('');
    expect(formatBytes(Number.NaN, 'ja')).toBe('');
  });
});

describe(shortSha.name, () => {
  it('keeps the first 12 hex digits', () => {
    expect(shortSha('ab'.repeat(32))).toBe('abababababab');
    expect(shortSha(null)).toBe('');
  });
});
