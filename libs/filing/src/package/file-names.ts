/**
 * Names of the attachments inside the ZIP.
 *
 * The user chose these names, and e-Gov (and whoever unpacks the package
 * there) will write them to disk: a name with a path (`../../x`, `C:\x`,
 * `/etc/x`) could escape the extraction directory (zip slip), a device name
 * (`CON`) or a character Windows refuses could break the extraction, and two
 * equal names would silently overwrite each other. So every name is reduced to
 * a plain file name and made unique, keeping Japanese text as it is (entries
 * are written with the ZIP UTF-8 flag; yazl sets it on every entry).
 */

/** Longest name we produce, in code points (Windows allows 255 UTF-16 units per component; this stays far below). */
export const MAX_FILE_NAME_LENGTH = 100;
const MAX_EXTENSION_LENGTH = 16;
const FALLBACK_STEM = 'attachment';

// Control characters (C0, DEL, C1), lone surrogates and U+FFFE/U+FFFF go, as
// do the characters Windows refuses in names (<>:"|?*) and the bidi controls
// that make `invoice\u202Efdp.exe` display as `invoiceexe.pdf`. Path
// separators are handled before: only the last component is kept.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS_RE = /[\u0000-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF\uFFFE\uFFFF<>:"|?*]/gu;
const WINDOWS_DEVICE_RE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

function splitExtension(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.length - dot > MAX_EXTENSION_LENGTH) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

function truncate(text: string, codePoints: number): string {
  return Array.from(text).slice(0, codePoints).join('');
}

/**
 * One name made safe: NFC (macOS uploads arrive decomposed), last path
 * component only (`/` and `\` both count), unsafe characters → `_`, runs of
 * dots collapsed (no `..` anywhere), no leading dots or spaces (no hidden
 * files), no trailing dots or spaces (Windows drops them), Windows device
 * names prefixed with `_`, at most MAX_FILE_NAME_LENGTH code points keeping
 * the extension. A name with nothing left becomes `attachment`.
 */
export function safeFileName(name: string): string {
  let base = name.normalize('NFC');
  base = base.slice(Math.max(base.lastIndexOf('/'), base.lastIndexOf('\\')) + 1);
  base = base
    .replace(UNSAFE_CHARS_RE, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[\s.]+/u, '')
    .replace(/[\s.]+$/u, '');
  const split = splitExtension(base);
  const ext = split.ext;
  let stem = split.stem;
  if (stem === '') stem = FALLBACK_STEM;
  if (WINDOWS_DEVICE_RE.test(stem)) stem = `_${stem}`;
  stem = truncate(stem, MAX_FILE_NAME_LENGTH - Array.from(ext).length).replace(/[\s.]+$/u, '') || FALLBACK_STEM;
  return `${stem}${ext}`;
}

/** Names compare like on a case-insensitive file system (Windows, macOS). */
const nameKey = (name: string): string => name.toLowerCase();

/**
 * Safe, unique names for `names`, in order. A name equal (ignoring case) to a
 * reserved one (kousei.xml, the 申請書 files) or to an earlier name gets a
 * suffix before the extension: `給与明細.pdf`, `給与明細_2.pdf`, `給与明細_3.pdf`.
 */
export function uniqueSafeFileNames(names: readonly string[], reserved: readonly string[] = []): string[] {
  const used = new Set(reserved.map(nameKey));
  return names.map((raw) => {
    const safe = safeFileName(raw);
    let candidate = safe;
    if (used.has(nameKey(candidate))) {
      const { stem, ext } = splitExtension(safe);
      for (let n = 2; used.has(nameKey(candidate)); n++) {
        const suffix = `_${n}`;
        candidate = `${truncate(stem, MAX_FILE_NAME_LENGTH - Array.from(ext).length - suffix.length)}${suffix}${ext}`;
      }
    }
    used.add(nameKey(candidate));
    return candidate;
  });
}

/** True when `name` is already a safe file name (what signer output must be). */
export function isSafeFileName(name: string): boolean {
  return name !== '' && safeFileName(name) === name;
}
