import fc from 'fast-check';

/**
 * fast-check arbitraries for hostile input: the classes of value that broke
 * servers like ours (wrong types, huge and deep values, unicode edge cases,
 * SQL/HTML metacharacters, out-of-range numbers and dates, unknown fields).
 */

const REAL_UUID_LIKE = '00000000-0000-4000-8000-000000000000';

/** Strings that have broken something somewhere: each a class of bug. */
export const nastyStrings: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800', // lone high surrogate
  'x\udfffy', // lone low surrogate
  '\u202eevil\u202c', // RTL override
  '\ufeffBOM',
  '😀👨‍👩‍👧‍👦',
  'ＡＢＣ１２３＠ｅｘａｍｐｌｅ．ｃｏｍ', // full-width
  'e\u0301\u0301\u0301', // combining marks
  "' OR '1'='1' --",
  "'; DROP TABLE users; --",
  '"\\',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '${7*7}{{7*7}}',
  '%00%27%22',
  '../../../../etc/passwd',
  '..',
  '..%2f..%2f',
  'C:\\Windows\\win.ini',
  'urn:x:123412341234',
  'x@y.zz',
  '123412341234', // looks like a 個人番号
  '99999-01-01',
  '0000-00-00',
  '2026-02-30',
  '2026-W01',
  '1e400',
  'NaN',
  '-1',
  '9'.repeat(40),
  'true',
  'null',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '\r\nX-Injected: 1',
  'a'.repeat(5_000),
  'あ'.repeat(2_000),
  REAL_UUID_LIKE,
  REAL_UUID_LIKE.toUpperCase(),
];

export const nastyNumbers: readonly number[] = [0, -1, 1.5, -0.0001, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, Number.MIN_VALUE];

export const nastyString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...nastyStrings) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );

/** `[[[…]]]` or `{"a":{"a":…}}` as a value (depth below the parser limit, so it reaches the DTO layer). */
export const nested = (depth: number, kind: 'array' | 'object'): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
};

/** Any JSON value that is likely the wrong thing for a field. */
export const badValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: nastyString() },
    { weight: 2, arbitrary: fc.constantFrom<unknown>(...nastyNumbers, true, false, null) },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.array(nastyString(), { maxLength: 5 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(nested(25, 'array'), nested(25, 'object'), Array(5_000).fill('x'), { ['__proto__']: { admin: true } }),
    },
  );

/** A whole JSON body: wrong top-level types, random objects, and objects with hostile keys. */
export const badBody = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(nastyString(), badValue(), { maxKeys: 6 }),
    fc.constantFrom<unknown>([], [1, 2], 'string', 42, nested(30, 'object'), nested(30, 'array')),
  );

/** A path parameter value (before encoding). */
export const badPathParam = (realIds: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...realIds) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 4, arbitrary: nastyString() },
    { weight: 1, arbitrary: fc.constantFrom('..', '.', '%2e%2e', '%00', 'a'.repeat(10_000), `${REAL_UUID_LIKE}/..`) },
  );

/** How a value is repeated or broken in a query string. */
export type QueryValue =
  { kind: 'one'; value: string } | { kind: 'many'; values: string[] } | { kind: 'raw'; raw: string } | { kind: 'bracket'; value: string };

export const badQueryValue = (): fc.Arbitrary<QueryValue> =>
  fc.oneof(
    { weight: 5, arbitrary: nastyString().map((value): QueryValue => ({ kind: 'one', value })) },
    {
      weight: 1,
      arbitrary: fc.array(nastyString(), { minLength: 2, maxLength: 3 }).map((values): QueryValue => ({ kind: 'many', values })),
    },
    // invalid percent-encoding and raw invalid UTF-8
    {
      weight: 1,
      arbitrary: fc.constantFrom('%', '%E0%A4%A', '%ED%A0%80', '%FF%FE', '%C0%AF').map((raw): QueryValue => ({ kind: 'raw', raw })),
    },
    // name[key]=value (nested query objects)
    { weight: 1, arbitrary: nastyString().map((value): QueryValue => ({ kind: 'bracket', value })) },
  );

/** encodeURIComponent, with lone surrogates sent as the raw (invalid UTF-8) bytes a hostile client would send. */
export function encodeLoose(s: string): string {
  let out = '';
  for (const ch of s) {
    try {
      out += encodeURIComponent(ch);
    } catch (e) {
      if (!(e instanceof URIError)) throw e;
      const c = ch.charCodeAt(0);
      out += `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`;
    }
  }
  return out;
}

export function queryString(params: Array<[string, QueryValue]>): string {
  const parts: string[] = [];
  for (const [name, v] of params) {
    const n = encodeLoose(name);
    if (v.kind === 'one') parts.push(`${n}=${encodeLoose(v.value)}`);
    else if (v.kind === 'many') for (const x of v.values) parts.push(`${n}=${encodeLoose(x)}`);
    else if (v.kind === 'bracket') parts.push(`${n}[x]=${encodeLoose(v.value)}`);
    else parts.push(`${n}=${v.raw}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Header values that Node's client can send (visible ASCII), still hostile. */
export const badHeaderValue = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom('', ' ', 'x'.repeat(4_000), "' OR 1=1 --", '<script>', '../..', '0', '-1', '\t'),
    fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  );

/** Broken multipart bodies for upload routes: [content-type header, body]. */
export function brokenMultiparts(): Array<[string, string | Buffer]> {
  const b = 'fuzzBoundary';
  const part = (headers: string, content: string) => `--${b}\r\n${headers}\r\n\r\n${content}\r\n`;
  const pdf = '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n';
  return [
    ['multipart/form-data', 'no boundary at all'],
    [`multipart/form-data; boundary=${b}`, ''],
    [`multipart/form-data; boundary=${b}`, `--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n${pdf}`], // truncated
    [`multipart/form-data; boundary=other`, part('Content-Disposition: form-data; name="file"; filename="a.pdf"', pdf) + `--${b}--\r\n`],
    [`multipart/form-data; boundary=${b}`, part('Content-Disposition: form-data; name="notfile"', 'x') + `--${b}--\r\n`],
    [`multipart/form-data; boundary=${b}`, part('Content-Disposition: form-data; name="file"', pdf) + `--${b}--\r\n`], // no filename
    [
      `multipart/form-data; boundary=${b}`,
      part(`Content-Disposition: form-data; name="file"; filename="${'../'.repeat(50)}etc/passwd"`, pdf) + `--${b}--\r\n`,
    ],
    [
      `multipart/form-data; boundary=${b}`,
      part(`Content-Disposition: form-data; name="file"; filename="${'あ'.repeat(3000)}.pdf"`, pdf) + `--${b}--\r\n`,
    ],
    [
      `multipart/form-data; boundary=${b}`,
      part('Content-Disposition: form-data; name="file"; filename="a\u0000.pdf"', pdf) + `--${b}--\r\n`,
    ],
    [
      `multipart/form-data; boundary=${b}`,
      part('Content-Disposition: form-data; name="file"; filename*=UTF-8\'\'%ED%A0%80.pdf', pdf) + `--${b}--\r\n`,
    ],
    [
      `multipart/form-data; boundary=${b}`,
      Array.from({ length: 200 }, (_, i) => part(`Content-Disposition: form-data; name="f${i}"`, 'x')).join('') + `--${b}--\r\n`,
    ],
    [
      `multipart/form-data; boundary=${b}`,
      part('Content-Disposition: form-data; name="file"; filename="a.pdf"', pdf) +
        part('Content-Disposition: form-data; name="file"; filename="b.pdf"', pdf) +
        `--${b}--\r\n`,
    ],
    [
      `multipart/form-data; boundary=${b}`,
      part('Content-Disposition: form-data; name="file"; filename="a.exe"\r\nContent-Type: application/pdf', 'MZ\u0090\u0000') +
        `--${b}--\r\n`,
    ],
    [`multipart/form-data; boundary=${'x'.repeat(200)}`, `--${'x'.repeat(200)}--\r\n`],
    [`multipart/mixed; boundary=${b}`, part('Content-Disposition: form-data; name="file"; filename="a.pdf"', pdf) + `--${b}--\r\n`],
    ['application/json', '{"file":"JVBERi0xLjQ="}'],
  ];
}

/** Raw bodies that break the parser layer (sent to JSON routes). */
export function brokenRawBodies(): Array<{ headers: Record<string, string>; body: string | Buffer }> {
  return [
    { headers: { 'content-type': 'application/json' }, body: '{"a":' },
    { headers: { 'content-type': 'application/json' }, body: '' },
    { headers: { 'content-type': 'application/json' }, body: '"just a string"' },
    { headers: { 'content-type': 'application/json' }, body: '['.repeat(100_000) },
    { headers: { 'content-type': 'application/json; charset=utf-16' }, body: Buffer.from('{"a":1}', 'utf16le') },
    { headers: { 'content-type': 'application/json; charset=latin1' }, body: '{"a":"\u00e9"}' },
    { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip at all' },
    { headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: Buffer.from([0xff, 0xfe, 0xfd]) },
    { headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' }, body: '{}' },
    {
      headers: { 'content-type': 'application/xml' },
      body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><x>&a;&a;&a;</x>',
    },
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&a=2&b[c]=3' },
    { headers: { 'content-type': 'text/plain' }, body: '{"a":1}' },
    { headers: { 'content-type': 'application/json' }, body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, // invalid UTF-8
  ];
}
