import { createHash } from 'node:crypto';
import { SNIFF_BYTES, sniffType } from './sniff';

/** Deterministic "random" bytes (SHA-256 in counter mode): the same bytes on every run. */
function pseudoRandom(length: number, seed = 'sniff'): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < length; i++) blocks.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(blocks).subarray(0, length);
}

const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1'), pseudoRandom(200)]);
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), pseudoRandom(200)]);
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pseudoRandom(200)]);
const xml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<申請書><氏名>山田太郎</氏名></申請書>\n');
const csvUtf8 = Buffer.from('氏名,住所\n山田太郎,東京都千代田区\n');
// "氏名,住所\r\n山田" in Shift_JIS (what Excel on Japanese Windows saves as CSV).
const csvShiftJis = Buffer.from([0x8e, 0x81, 0x96, 0xbc, 0x2c, 0x8f, 0x5a, 0x8f, 0x8a, 0x0d, 0x0a, 0x8e, 0x52, 0x93, 0x63]);

describe(sniffType.name, () => {
  it('detects a PDF', () => {
    expect(sniffType(pdf, 'form.pdf')).toEqual({ type: 'pdf', mime: 'application/pdf' });
  });

  it('detects a JPEG named .jpg or .jpeg, in any case', () => {
    expect(sniffType(jpeg, 'photo.jpg')).toEqual({ type: 'jpeg', mime: 'image/jpeg' });
    expect(sniffType(jpeg, 'PHOTO.JPEG')).toEqual({ type: 'jpeg', mime: 'image/jpeg' });
  });

  it('detects a PNG', () => {
    expect(sniffType(png, 'scan.png')).toEqual({ type: 'png', mime: 'image/png' });
  });

  it('detects XML with a declaration, with a BOM and leading whitespace, or starting with an element', () => {
    expect(sniffType(xml, 'data.xml')).toEqual({ type: 'xml', mime: 'application/xml' });
    const bomAndSpace = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(' \r\n\t'), xml]);
    expect(sniffType(bomAndSpace, 'data.xml')).toEqual({ type: 'xml', mime: 'application/xml' });
    expect(sniffType(Buffer.from('<root a="1"/>'), 'data.xml')?.type).toBe('xml');
    expect(sniffType(Buffer.from('<申請書/>'), 'data.xml')?.type).toBe('xml');
  });

  it('detects XML that has a DOCTYPE (refusing DTDs is the XML parser’s job)', () => {
    expect(sniffType(Buffer.from('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'), 'a.xml')?.type).toBe('xml');
  });

  it('detects a UTF-8 CSV, with or without BOM', () => {
    expect(sniffType(csvUtf8, 'list.csv')).toEqual({ type: 'csv', mime: 'text/csv', charset: 'utf-8' });
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), csvUtf8]);
    expect(sniffType(withBom, 'list.csv')).toEqual({ type: 'csv', mime: 'text/csv', charset: 'utf-8' });
    expect(sniffType(Buffer.from('a,b\tc\r\n1,2\r\n'), 'LIST.CSV')?.charset).toBe('utf-8');
  });

  it('detects a Shift_JIS CSV', () => {
    expect(sniffType(csvShiftJis, 'list.csv')).toEqual({ type: 'csv', mime: 'text/csv', charset: 'shift_jis' });
  });

  it('accepts a multi-byte character cut off at the end of a full-length head', () => {
    const utf8 = Buffer.from('あ'.repeat(SNIFF_BYTES)); // 3 bytes each: SNIFF_BYTES is not a multiple of 3
    expect(SNIFF_BYTES % 3).not.toBe(0);
    expect(sniffType(utf8.subarray(0, SNIFF_BYTES), 'a.csv')?.charset).toBe('utf-8');
    // One ASCII byte, then "あ" (0x82 0xA0) repeated: the even cut leaves a lone lead byte at the end.
    const sjis = Buffer.concat([Buffer.from('a'), sjisRepeat(SNIFF_BYTES)]).subarray(0, SNIFF_BYTES);
    expect(sjis[SNIFF_BYTES - 1]).toBe(0x82);
    expect(sniffType(sjis, 'a.csv')?.charset).toBe('shift_jis');
  });

  it('refuses a cut-off character when the head is the whole file', () => {
    // "abc," + the first byte of あ (E3 81 82): neither UTF-8 nor Shift_JIS when nothing follows.
    // (Two of its bytes, E3 81, would be a valid Shift_JIS character: such text is taken as Shift_JIS.)
    const whole = Buffer.from('abc,あ').subarray(0, 5);
    expect(sniffType(whole, 'a.csv')).toBeUndefined();
    expect(sniffType(Buffer.from([0x61, 0x2c, 0x82]), 'a.csv')).toBeUndefined(); // Shift_JIS lead byte without trail
  });

  it('refuses an extension that disagrees with the content', () => {
    expect(sniffType(png, 'scan.pdf')).toBeUndefined();
    expect(sniffType(jpeg, 'photo.png')).toBeUndefined();
    expect(sniffType(xml, 'data.csv')).toBeUndefined();
    expect(sniffType(csvUtf8, 'list.txt')).toBeUndefined();
    expect(sniffType(csvUtf8, 'list.xml')).toBeUndefined();
  });

  it('refuses a PDF renamed .png (or .csv, or .jpg)', () => {
    expect(sniffType(pdf, 'form.png')).toBeUndefined();
    expect(sniffType(pdf, 'form.csv')).toBeUndefined();
    expect(sniffType(pdf, 'form.jpg')).toBeUndefined();
  });

  it('refuses names without a usable extension', () => {
    for (const name of ['form', '.pdf', 'form.pdf.', 'form.pdf ', 'dir.pdf/form', '']) expect(sniffType(pdf, name)).toBeUndefined();
  });

  it('uses only the last path segment of the name', () => {
    expect(sniffType(pdf, 'C:\\Users\\me\\form.pdf')?.type).toBe('pdf');
    expect(sniffType(pdf, 'a.png/form.pdf')?.type).toBe('pdf');
  });

  it('refuses an empty file', () => {
    for (const name of ['a.pdf', 'a.jpg', 'a.png', 'a.xml', 'a.csv']) expect(sniffType(Buffer.alloc(0), name)).toBeUndefined();
    expect(sniffType(Buffer.from([0xef, 0xbb, 0xbf]), 'a.csv')).toBeUndefined(); // only a BOM
  });

  it('refuses random bytes whatever the name', () => {
    const noise = pseudoRandom(SNIFF_BYTES);
    for (const name of ['a.pdf', 'a.jpg', 'a.png', 'a.xml', 'a.csv']) expect(sniffType(noise, name)).toBeUndefined();
  });

  it('refuses truncated magics', () => {
    expect(sniffType(Buffer.from('%PDF'), 'a.pdf')).toBeUndefined();
    expect(sniffType(png.subarray(0, 7), 'a.png')).toBeUndefined();
    expect(sniffType(Buffer.from([0xff, 0xd8]), 'a.jpg')).toBeUndefined();
  });

  it('refuses text with control characters or NUL as CSV', () => {
    expect(sniffType(Buffer.from('a,b\0c\n'), 'a.csv')).toBeUndefined();
    expect(sniffType(Buffer.from('a,b\x1bc\n'), 'a.csv')).toBeUndefined();
    expect(sniffType(Buffer.from('a,b\x7f\n'), 'a.csv')).toBeUndefined();
  });

  it('refuses a BOM followed by text that is not UTF-8 (no Shift_JIS fallback)', () => {
    expect(sniffType(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), csvShiftJis]), 'a.csv')).toBeUndefined();
  });

  it('refuses text in neither UTF-8 nor Shift_JIS', () => {
    // 0xA0 and 0xFD-0xFF are not valid Shift_JIS bytes; a lone 0xA0 is not valid UTF-8.
    expect(sniffType(Buffer.from([0x61, 0x2c, 0xa0, 0xfd, 0x0a]), 'a.csv')).toBeUndefined();
  });

  it('refuses HTML and XHTML as XML', () => {
    expect(sniffType(Buffer.from('<html><script>alert(1)</script></html>'), 'a.xml')).toBeUndefined();
    expect(sniffType(Buffer.from('<HTML>'), 'a.xml')).toBeUndefined();
    expect(sniffType(Buffer.from('<?xml version="1.0"?>\n<!DOCTYPE html>\n<html>'), 'a.xml')).toBeUndefined();
    expect(sniffType(Buffer.from('<?xml version="1.0"?><h:html xmlns:h="http://www.w3.org/1999/xhtml">'), 'a.xml')).toBeUndefined();
  });

  it('refuses markup that is not XML, and XML with a NUL', () => {
    expect(sniffType(Buffer.from('<?xml-stylesheet href="a"?>'), 'a.xml')).toBeUndefined();
    expect(sniffType(Buffer.from('<!-- comment --><a/>'), 'a.xml')).toBeUndefined();
    expect(sniffType(Buffer.from('< a/>'), 'a.xml')).toBeUndefined();
    expect(sniffType(Buffer.from('<a>\0</a>'), 'a.xml')).toBeUndefined();
    expect(sniffType(Buffer.from([0xff, 0xfe, 0x3c, 0x00, 0x61, 0x00]), 'a.xml')).toBeUndefined(); // UTF-16LE
  });

  it('looks only at the first SNIFF_BYTES', () => {
    const longCsv = Buffer.concat([Buffer.from('a,b\n'.repeat(SNIFF_BYTES / 4)), Buffer.from([0])]);
    expect(sniffType(longCsv, 'a.csv')?.type).toBe('csv');
  });
});

/** `n` bytes of Shift_JIS "ああ…" (0x82 0xA0 pairs). */
function sjisRepeat(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0x82 : 0xa0)));
}
