import { EgovPackageError } from './errors';

/**
 * A minimal XML writer for the package's own documents (kousei.xml, the
 * 申請書 XML).
 *
 * Hand-written on purpose, and small enough to review: the documents are built
 * from a tree of our own element names, and every piece of user text goes
 * through `escapeText` / `escapeAttr`, so no value can open an element, close
 * one, or end a CDATA section (`<`, `&`, `>` and `"` are always escaped; we
 * never emit CDATA). @xmldom/xmldom's serializer was not used because it
 * passes characters XML 1.0 cannot carry (U+0000, lone surrogates) straight
 * through, producing documents a strict parser rejects; here they are refused.
 * The output is also byte-stable (fixed declaration, LF, two-space indent),
 * which the future XML-DSig signer's canonicalisation relies on being boring.
 */

/** An element: text content or child elements, never both (the documents have no mixed content). */
export interface XmlElement {
  readonly name: string;
  /** Attributes in this order; undefined values are left out. */
  readonly attrs?: Readonly<Record<string, string | number | undefined>>;
  readonly text?: string;
  readonly children?: readonly XmlElement[];
}

// Names are ours (constants in the builders), never user input; this catches
// programming errors, not attacks. Letters (including kanji/kana), digits, _ . -
const NAME_RE = /^[\p{L}_][\p{L}\p{N}_.-]*$/u;

/**
 * Characters refused in any text or attribute value: everything XML 1.0 cannot
 * carry (C0 controls other than TAB/LF/CR, lone surrogates, U+FFFE/U+FFFF) and
 * the DEL/C1 controls, which XML allows but no form value should hold. The `u`
 * flag makes a well-formed surrogate pair one code point, so only lone halves
 * match the surrogate range.
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHAR_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF\uFFFE\uFFFF]/u;

/** Throws EgovPackageError naming `path` (not the value) when `value` holds a character refused above. */
export function assertXmlText(value: string, path: string): void {
  if (FORBIDDEN_CHAR_RE.test(value)) {
    throw new EgovPackageError('egov_package_invalid_text', `${path} contains a control character or one XML cannot carry`, path);
  }
}

/** Escapes element text. `>` is escaped too, so `]]>` cannot appear; CR as a reference so it survives parsing. */
export function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** Escapes an attribute value (always written in double quotes); TAB/LF/CR as references so attribute normalisation keeps them. */
export function escapeAttr(value: string): string {
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c]);
}

const ATTR_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

function assertName(name: string): void {
  if (!NAME_RE.test(name)) throw new Error(`invalid XML name ${JSON.stringify(name)} (a bug in the package builder)`);
}

function write(el: XmlElement, indent: string, path: string, out: string[]): void {
  assertName(el.name);
  let open = `${indent}<${el.name}`;
  for (const [key, raw] of Object.entries(el.attrs ?? {})) {
    if (raw === undefined) continue;
    assertName(key);
    const value = String(raw);
    assertXmlText(value, `${path}/@${key}`);
    open += ` ${key}="${escapeAttr(value)}"`;
  }
  if (el.text !== undefined && el.children !== undefined)
    throw new Error(`XML element ${el.name} has both text and children (a bug in the package builder)`);
  if (el.children !== undefined && el.children.length > 0) {
    out.push(`${open}>`);
    el.children.forEach((child) => write(child, `${indent}  `, `${path}/${child.name}`, out));
    out.push(`${indent}</${el.name}>`);
  } else if (el.text !== undefined && el.text !== '') {
    assertXmlText(el.text, path);
    out.push(`${open}>${escapeText(el.text)}</${el.name}>`);
  } else {
    out.push(`${open}/>`);
  }
}

/**
 * Serialises a document: UTF-8 declaration, LF line ends, two-space indent,
 * a final newline. Throws EgovPackageError (`egov_package_invalid_text`) for a
 * refused character, naming the element path.
 */
export function serializeXml(root: XmlElement): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  write(root, '', root.name, out);
  return `${out.join('\n')}\n`;
}

/** Shorthand for a text element; undefined when the value is absent, so callers can filter empty fields out. */
export function textElement(name: string, value: string | number | undefined | null, attrs?: XmlElement['attrs']): XmlElement | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return { name, text: String(value), ...(attrs ? { attrs } : {}) };
}

/** Drops the undefined entries (absent optional fields). */
export function present(children: readonly (XmlElement | undefined)[]): XmlElement[] {
  return children.filter((c): c is XmlElement => c !== undefined);
}
