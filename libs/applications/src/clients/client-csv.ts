import type { FieldError } from '@charlotte/core';

/** The header of a 顧問先 import (api.md), in this order or any other. */
export const IMPORT_COLUMNS = [
  'code',
  'name',
  'office_name',
  'pension_office_code',
  'pension_office_number',
  'employment_office_number',
  'labor_insurance_number',
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
export type ImportRow = Record<ImportColumn, string>;

/** Bounds of one import: a sharoushi office has dozens to a few hundred 顧問先; these leave room and keep one transaction small. */
export const IMPORT_MAX_BYTES = 1024 * 1024;
export const IMPORT_MAX_ROWS = 2000;
/** An answer lists at most this many problems (a wrong file would otherwise list every row). */
export const IMPORT_MAX_ERRORS = 200;

/**
 * The text of an uploaded CSV: UTF-8 (with or without BOM) when the bytes are valid UTF-8,
 * otherwise Shift_JIS as Excel writes it (Windows-31J / CP932, a superset of JIS X 0208 with
 * ①, 髙 and the NEC/IBM extensions; the WHATWG "shift_jis" decoder of Node's ICU is exactly that,
 * so no package is needed). Valid UTF-8 of Japanese text is practically never valid
 * CP932 and vice versa, so the strict UTF-8 decode is a reliable test.
 */
export function decodeCsv(bytes: Buffer): { text: string; encoding: 'utf-8' | 'shift_jis' } {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: the other encoding the contract accepts.
    return { text: new TextDecoder('shift_jis').decode(bytes), encoding: 'shift_jis' };
  }
}

/**
 * RFC 4180 records: fields separated by commas, optionally double-quoted (a quote inside doubled),
 * records by CRLF or LF; a quoted field may span lines. A quote left open is reported by the caller
 * (`unterminated`).
 */
export function parseCsv(text: string): { records: string[][]; unterminated: boolean } {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else field += ch;
    i++;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return { records, unterminated: quoted };
}

/**
 * The data rows of an import, keyed by column, or the problems of the file as a whole (row 0:
 * the header or the file itself). Blank lines count as rows (so that `row` + 1 is the line a
 * spreadsheet shows) but are skipped.
 */
export function readImport(bytes: Buffer): { rows: Array<{ row: number; data: ImportRow }>; errors: FieldError[] } {
  const fileError = (message: string, code = 'import_file'): { rows: []; errors: FieldError[] } => ({
    rows: [],
    errors: [{ row: 0, field: 'file', code, message }],
  });
  const { text } = decodeCsv(bytes);
  const { records, unterminated } = parseCsv(text);
  if (unterminated) return fileError('a quoted field is not closed', 'csv_unterminated');
  const header = (records[0] ?? []).map((h) => h.trim().toLowerCase());
  const missing = IMPORT_COLUMNS.filter((c) => !header.includes(c));
  const unknown = header.filter((h) => h !== '' && !(IMPORT_COLUMNS as readonly string[]).includes(h));
  if (missing.length || unknown.length)
    return fileError(
      `the header must name the columns ${IMPORT_COLUMNS.join(',')}` +
        (missing.length ? `; missing: ${missing.join(',')}` : '') +
        (unknown.length ? `; unknown: ${unknown.join(',')}` : ''),
      'csv_header',
    );
  const data = records.slice(1);
  if (data.length > IMPORT_MAX_ROWS) return fileError(`at most ${IMPORT_MAX_ROWS} rows per file`, 'csv_too_many_rows');
  const rows: Array<{ row: number; data: ImportRow }> = [];
  data.forEach((rec, i) => {
    if (rec.every((f) => f.trim() === '')) return;
    const d = {} as ImportRow;
    for (const c of IMPORT_COLUMNS) d[c] = (rec[header.indexOf(c)] ?? '').trim();
    rows.push({ row: i + 1, data: d });
  });
  if (rows.length === 0) return fileError('the file has no data rows', 'csv_empty');
  return { rows, errors: [] };
}
