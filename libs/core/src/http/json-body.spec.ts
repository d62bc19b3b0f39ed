import { JsonShapeError, scanJsonShape } from './json-body';

describe(scanJsonShape.name, () => {
  const scan =
    (s: string, limits = { maxDepth: 4, maxValues: 10 }) =>
    () =>
      scanJsonShape(Buffer.from(s, 'utf8'), limits);
  const violation = (s: string) => {
    try {
      scan(s)();
      return undefined;
    } catch (e) {
      return (e as JsonShapeError).violation;
    }
  };

  it('accepts bodies within the limits', () => {
    expect(scan('{"a":[1,{"b":[2]}]}')).not.toThrow();
    expect(scan('[1,2,3,4,5,6,7,8,9]')).not.toThrow();
  });

  it('refuses nesting deeper than maxDepth', () => {
    expect(violation('[[[[[]]]]]')).toBe('depth');
    expect(violation('{"a":{"a":{"a":{"a":{"a":1}}}}}')).toBe('depth');
  });

  it('refuses more values than maxValues', () => {
    expect(violation('[1,2,3,4,5,6,7,8,9,10,11]')).toBe('values');
  });

  it('ignores structure inside strings, including escaped quotes and multi-byte text', () => {
    expect(scan('{"a":"[[[[[[[[,,,,,,,,,,,,\\"[[[[[[{{{{"}')).not.toThrow();
    expect(scan('{"名前":"［［［｛全角｝］］］ 😀 \\u202e"}')).not.toThrow();
  });

  it('refuses an escaped NUL, but not an escaped backslash followed by u0000', () => {
    expect(violation('{"a":"x\\u0000"}')).toBe('nul');
    expect(violation('{"a":"x\\\\u0000"}')).toBeUndefined();
  });

  it('refuses unpaired surrogate escapes, accepts pairs', () => {
    expect(violation('{"a":"\\ud800"}')).toBe('surrogate');
    expect(violation('{"a":"\\uD800x"}')).toBe('surrogate');
    expect(violation('{"a":"\\udc00"}')).toBe('surrogate');
    expect(violation('{"a":"\\ud800\\u0041"}')).toBe('surrogate');
    expect(violation('{"a":"\\ud83d\\ude00 \\u00e9"}')).toBeUndefined();
    expect(violation('{"a":"\\\\ud800"}')).toBeUndefined(); // an escaped backslash, then text
  });

  it('is linear: 1 MB of brackets is refused at the first level too deep', () => {
    const t = Date.now();
    expect(() => scanJsonShape(Buffer.from('['.repeat(1_000_000)))).toThrow(JsonShapeError);
    expect(() => scanJsonShape(Buffer.from(`"${'a'.repeat(1_000_000)}"`))).not.toThrow();
    expect(Date.now() - t).toBeLessThan(1000);
  });
});
