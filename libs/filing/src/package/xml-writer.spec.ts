import { EgovPackageError } from './errors';
import { assertXmlText, escapeAttr, escapeText, serializeXml } from './xml-writer';
import { elements, parseXml } from './test-helpers';

describe(serializeXml.name, () => {
  it('writes a UTF-8 declaration, LF lines, indented children, self-closing empty elements', () => {
    const xml = serializeXml({ name: '根', attrs: { a: '1', skipped: undefined }, children: [{ name: '子', text: '値' }, { name: '空' }] });
    expect(xml).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<根 a="1">\n  <子>値</子>\n  <空/>\n</根>\n');
  });

  it('round-trips markup characters in text and attributes as text, creating no elements', () => {
    const nasty = `<&>"' ]]> <injected a="b"/> &amp; <![CDATA[x]]> <!-- c --> <?pi?>`;
    const doc = parseXml(serializeXml({ name: 'r', attrs: { v: nasty }, children: [{ name: 't', text: nasty }] }));
    expect(doc.documentElement!.getAttribute('v')).toBe(nasty);
    expect(elements(doc, 't')[0].textContent).toBe(nasty);
    expect(elements(doc, 'injected')).toHaveLength(0);
    expect(doc.documentElement!.childNodes.length).toBe(3); // whitespace, <t>, whitespace
  });

  it('keeps TAB, LF and CR through parsing (attributes and text)', () => {
    const value = 'a\tb\nc\rd';
    const doc = parseXml(serializeXml({ name: 'r', attrs: { v: value }, children: [{ name: 't', text: value }] }));
    expect(doc.documentElement!.getAttribute('v')).toBe(value);
    expect(elements(doc, 't')[0].textContent).toBe(value);
  });

  it('escapes every markup character', () => {
    expect(escapeText('<a & b> ]]>\r')).toBe('&lt;a &amp; b&gt; ]]&gt;&#13;');
    expect(escapeAttr(`<"'&>\t\n\r`)).toBe('&lt;&quot;&apos;&amp;&gt;&#9;&#10;&#13;');
  });

  it.each([
    ['NUL', '\u0000'],
    ['backspace', '\u0008'],
    ['vertical tab', '\u000B'],
    ['unit separator', '\u001F'],
    ['DEL', '\u007F'],
    ['NEL (C1)', '\u0085'],
    ['a lone high surrogate', '\uD800'],
    ['a lone low surrogate', '\uDC00'],
    ['U+FFFE', '\uFFFE'],
    ['U+FFFF', '\uFFFF'],
  ])('refuses %s in text and in attributes, without quoting the value', (_what, char) => {
    const secret = `123456789018${char}`;
    for (const el of [
      { name: 'r', text: secret },
      { name: 'r', attrs: { v: secret } },
    ]) {
      let error: unknown;
      try {
        serializeXml(el);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EgovPackageError);
      expect((error as EgovPackageError).code).toBe('egov_package_invalid_text');
      expect((error as EgovPackageError).message).not.toContain('123456789018');
    }
  });

  it('accepts characters outside the BMP (surrogate pairs) and full-width text', () => {
    expect(() => assertXmlText('𠮷野家　髙橋 ＡＢＣ', 'x')).not.toThrow();
    expect(elements(parseXml(serializeXml({ name: 'r', text: '𠮷野家' })), 'r')[0].textContent).toBe('𠮷野家');
  });

  it('refuses element and attribute names that are not XML names (a bug, not user input)', () => {
    expect(() => serializeXml({ name: 'a b' })).toThrow(/invalid XML name/);
    expect(() => serializeXml({ name: 'r', attrs: { 'x"y': '1' } })).toThrow(/invalid XML name/);
    expect(() => serializeXml({ name: '1r' })).toThrow(/invalid XML name/);
  });

  it('refuses an element with both text and children', () => {
    expect(() => serializeXml({ name: 'r', text: 'x', children: [{ name: 'c' }] })).toThrow(/both text and children/);
  });
});
