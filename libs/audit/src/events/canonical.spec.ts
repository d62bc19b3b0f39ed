import { createHash } from 'node:crypto';
import { canonicalJson, chainHash, eventCanonical, GENESIS_HASH, HashedEvent } from './canonical';

describe(canonicalJson.name, () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } })).toBe('{"a":{"c":"x","d":[true,null]},"b":1}');
  });

  it('gives the same bytes whatever the key order', () => {
    expect(canonicalJson({ x: 1, y: { p: 'q', o: 2 } })).toBe(canonicalJson({ y: { o: 2, p: 'q' }, x: 1 }));
  });

  it('escapes strings as JSON does (Japanese kept as is)', () => {
    expect(canonicalJson({ s: '改ざん"\n' })).toBe('{"s":"改ざん\\"\\n"}');
  });

  it.each([1.5, NaN, Infinity, 2 ** 60])('refuses the non-integer or unsafe number %p', (n) => {
    expect(() => canonicalJson({ n })).toThrow(TypeError);
  });
});

describe(chainHash.name, () => {
  it('is SHA-256 over the 32-byte previous hash, then the UTF-8 canonical text', () => {
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.alloc(32), Buffer.from('{"a":"改"}', 'utf8')]))
      .digest('hex');
    expect(chainHash(GENESIS_HASH, '{"a":"改"}').toString('hex')).toBe(expected);
  });

  it('changes when the previous hash changes (the link)', () => {
    const h = chainHash(GENESIS_HASH, '{}');
    expect(chainHash(h, '{}').equals(h)).toBe(false);
  });
});

describe(eventCanonical.name, () => {
  const e: HashedEvent = {
    chain: 'c1',
    seq: 42,
    id: 'i',
    occurredAt: '2026-11-26T01:02:03.456789Z',
    category: 'security',
    action: 'auth.login',
    outcome: 'failure',
    tenantId: null,
    actorType: 'anonymous',
    actorId: null,
    targetType: 'user',
    targetId: 't"x',
    requestId: 'r',
    ip: '::1',
    userAgent: 'Mozilla/5.0 "日本語"',
    details: { z: 1, a: ['x', { b: true }] },
  };

  it('writes exactly what the generic canonical JSON writes', () => {
    expect(eventCanonical(e)).toBe(canonicalJson(e as never));
    expect(eventCanonical({ ...e, tenantId: 'tt', actorId: 'aa', ip: null, details: {} })).toBe(
      canonicalJson({ ...e, tenantId: 'tt', actorId: 'aa', ip: null, details: {} } as never),
    );
  });
});
