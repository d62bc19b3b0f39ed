/**
 * Content-type detection by magic bytes, for the file types an application may
 * carry. Hand-written because the `file-type` package is ESM-only and cannot be
 * loaded by jest here, and because we accept five types only.
 *
 * The type comes from the content, never from the client's Content-Type, and
 * the file name's extension must agree with it: a PNG named `.pdf` or a PDF
 * named `.png` is refused, so that what we store, serve and later parse is
 * what its name says (stops polyglot/renamed files reaching the wrong parser or
 * being opened by the wrong program on the caseworker's PC).
 *
 * Sniffing is a gate on the type, not a validator: only the head is read. The
 * parsers that read the whole file (PDF, image, XML, CSV import) still have to
 * refuse malformed content; in particular the XML parser must refuse DTDs
 * (XXE, entity expansion): a `<!DOCTYPE` is not looked for here.
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

export type SniffedType = 'pdf' | 'jpeg' | 'png' | 'xml' | 'csv';

export interface SniffResult {
  type: SniffedType;
  mime: string;
  /** For CSV only: the text encoding the head was valid in (UTF-8 is tried first; pure ASCII counts as UTF-8). */
  charset?: 'utf-8' | 'shift_jis';
}

/**
 * How many bytes from the start of the file `sniffType` needs: pass the first
 * `min(SNIFF_BYTES, size)` bytes. The binary magics need 8; the rest is the
 * sample for the text checks (CSV encoding, XML's leading whitespace).
 */
export const SNIFF_BYTES = 4096;

const MIME: Record<SniffedType, string> = {
  pdf: 'application/pdf',
  jpeg: 'image/jpeg',
  png: 'image/png',
  xml: 'application/xml',
  csv: 'text/csv',
};

const EXTENSIONS: Record<SniffedType, readonly string[]> = {
  pdf: ['pdf'],
  jpeg: ['jpg', 'jpeg'],
  png: ['png'],
  xml: ['xml'],
  csv: ['csv'],
};

const PDF = Buffer.from('%PDF-', 'latin1');
const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Detects the type of a file from its first bytes (`head`, see SNIFF_BYTES)
 * and checks that `fileName`'s extension agrees. Returns undefined, meaning
 * "refuse", for an empty file, an unknown type or a mismatching extension.
 *
 * - PDF: `%PDF-` at offset 0 (stricter than readers, which look further in).
 * - JPEG: FF D8 FF. PNG: the 8-byte PNG signature.
 * - XML: optional UTF-8 BOM, optional whitespace, then `<?xml` + whitespace or
 *   a start tag (`<` + a name character). UTF-16 XML and documents that begin
 *   with a comment are not accepted. No NUL byte in the head. HTML/XHTML
 *   (first element `html`, `<!DOCTYPE html`, the XHTML namespace) is refused.
 *   Detected before CSV: a `.csv` whose text starts like XML is refused.
 * - CSV: only with a `.csv` name, when no magic above matched. Text: valid
 *   UTF-8 (with or without BOM; ASCII included) or else valid Shift_JIS (what
 *   Excel on Japanese Windows writes), with no control characters except TAB,
 *   CR and LF (so no NUL: binary data is refused). A multi-byte character cut
 *   off at the end of a full-length head is tolerated.
 */
export function sniffType(head: Buffer, fileName: string): SniffResult | undefined {
  if (head.length === 0) return undefined;
  // A head of SNIFF_BYTES may be a cut of a longer file; a shorter one is the whole file.
  const truncated = head.length >= SNIFF_BYTES;
  const sample = head.subarray(0, SNIFF_BYTES);
  const extension = extensionOf(fileName);
  if (extension === undefined) return undefined;

  const detected = detectBinary(sample) ?? detectXml(sample);
  if (detected) return EXTENSIONS[detected].includes(extension) ? { type: detected, mime: MIME[detected] } : undefined;

  // Text has no magic: only a name that says CSV makes us look at it as CSV.
  if (!EXTENSIONS.csv.includes(extension)) return undefined;
  const charset = csvCharset(sample, truncated);
  return charset ? { type: 'csv', mime: MIME.csv, charset } : undefined;
}

/** The lower-cased extension of the last path segment, or undefined if there is none. */
function extensionOf(fileName: string): string | undefined {
  const base = fileName.split(/[/\\]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  // ".pdf" alone is a hidden file without extension; "a.pdf." has an empty one.
  if (dot <= 0 || dot === base.length - 1) return undefined;
  return base.slice(dot + 1).toLowerCase();
}

function startsWith(buf: Buffer, magic: Buffer): boolean {
  return buf.length >= magic.length && buf.subarray(0, magic.length).equals(magic);
}

function detectBinary(head: Buffer): SniffedType | undefined {
  if (startsWith(head, PDF)) return 'pdf';
  if (startsWith(head, PNG)) return 'png';
  if (startsWith(head, JPEG)) return 'jpeg';
  return undefined;
}

function isXmlSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function detectXml(head: Buffer): 'xml' | undefined {
  let i = startsWith(head, UTF8_BOM) ? UTF8_BOM.length : 0;
  while (i < head.length && isXmlSpace(head[i])) i++;
  if (head[i] !== 0x3c /* < */ || head.includes(0)) return undefined;
  const rest = head.subarray(i + 1, i + 64).toString('latin1');
  // `<?xml` + space or `?` is the declaration (`<?xml-stylesheet` is not). Otherwise
  // a start tag: an XML name starts with a letter, '_', ':' or a non-ASCII
  // character (its UTF-8 lead byte here).
  if (!/^\?xml[ \t\r\n?]/.test(rest) && !/^[A-Za-z_:\u0080-\u00ff]/.test(rest)) return undefined;
  return looksLikeHtml(head.toString('latin1')) ? undefined : 'xml';
}

/**
 * HTML/XHTML is not an application form, and markup with script is what we
 * least want stored as "XML" (it runs if ever served inline). Defence in depth
 * only: downloads are served as attachments with nosniff regardless.
 */
function looksLikeHtml(head: string): boolean {
  const firstElement = /<(?![?!])([^\s/>]+)/.exec(head)?.[1] ?? '';
  const localName = firstElement.slice(firstElement.indexOf(':') + 1);
  return localName.toLowerCase() === 'html' || /<!DOCTYPE\s+html[\s>]/i.test(head) || head.includes('http://www.w3.org/1999/xhtml');
}

function csvCharset(head: Buffer, truncated: boolean): 'utf-8' | 'shift_jis' | undefined {
  // C0 controls other than TAB, LF, CR, and DEL: not text. Neither encoding
  // uses these byte values inside a multi-byte character, so a byte check suffices.
  for (const byte of head) {
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) return undefined;
  }
  const bom = startsWith(head, UTF8_BOM);
  const text = bom ? head.subarray(UTF8_BOM.length) : head;
  if (text.length === 0) return undefined;
  if (decodes('utf-8', text, truncated ? utf8Tail(text) : 0)) return 'utf-8';
  // A BOM says UTF-8: no fallback to Shift_JIS for a file that claims UTF-8 and is not.
  if (bom) return undefined;
  if (decodes('shift_jis', text, truncated ? shiftJisTail(text) : 0)) return 'shift_jis';
  return undefined;
}

function decodes(encoding: 'utf-8' | 'shift_jis', bytes: Buffer, dropTail: number): boolean {
  const text = bytes.subarray(0, bytes.length - dropTail);
  if (encoding === 'utf-8') return isUtf8(text);
  try {
    new TextDecoder(encoding, { fatal: true }).decode(text);
    return true;
  } catch (err) {
    // With fatal: true, invalid bytes throw ERR_ENCODING_INVALID_ENCODED_DATA: that is the answer "not this encoding".
    // (Checked by code, not instanceof TypeError: the class differs between realms, e.g. under jest.)
    if ((err as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') return false;
    throw err;
  }
}

/** Bytes of an incomplete UTF-8 sequence at the end (0-3): the start of a character cut off by the head. */
function utf8Tail(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? back : 0;
  }
  return 0;
}

/** 1 if the last byte is a Shift_JIS lead byte whose trail byte was cut off, else 0. */
function shiftJisTail(bytes: Buffer): number {
  // Walk from the start: trail bytes overlap lead ranges, so only a forward scan tells them apart.
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i];
    const lead = (byte >= 0x81 && byte <= 0x9f) || (byte >= 0xe0 && byte <= 0xfc);
    if (!lead) i += 1;
    else if (i === bytes.length - 1) return 1;
    else i += 2;
  }
  return 0;
}
