/**
 * Test-only helpers for the package builder's specs: example inputs, a strict
 * XML parser and a ZIP reader. Not exported from index.ts.
 */
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element } from '@xmldom/xmldom';
import * as yauzl from 'yauzl';
import { MY_NUMBER, normalizeForm, ProcedureDefinition, ProcedureRegistry, VALID_FORMS as INPUT_FORMS } from '@charlotte/procedures';
import type { PackageApplicant, PackageAttachment, PackageInput, PackageOffice } from './types';

export const registry = ProcedureRegistry.load();

export function definition(code: string): ProcedureDefinition {
  const def = registry.get(code);
  if (!def) throw new Error(`no definition ${code}`);
  return def;
}

export { MY_NUMBER };

/** The shared valid forms (procedures/test-forms.ts), normalised as normalizeForm stores them (基礎年金番号 without its hyphen). */
export const VALID_FORMS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = Object.fromEntries(
  Object.entries(INPUT_FORMS).map(([code, form]) => [code, normalizeForm(definition(code), form)]),
);

export const OFFICE: PackageOffice = {
  name: '株式会社シャルロット',
  address: '東京都千代田区丸の内1-1-1',
  postalCode: '1000005',
  ownerName: '代表取締役 高橋 一郎',
  pensionOfficeCode: '01イロハ',
  pensionOfficeNumber: '12345',
  employmentOfficeNumber: '13011234560',
  laborInsuranceNumber: '13101123456000',
};

export const APPLICANT: PackageApplicant = {
  name: '社会保険労務士法人さくら 担当 田中',
  nameKana: 'タナカ',
  postalCode: '1000005',
  address: '東京都千代田区丸の内2-2-2',
  phone: '0312345678',
  email: 'tanaka@example.jp',
};

/** Deterministic pseudo-random bytes (so a test failure reproduces). */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** An attachment served as an async iterable of small chunks; counts its opens. */
export function attachment(fileName: string, data: Buffer, contentType = 'application/pdf'): PackageAttachment & { opens: () => number } {
  let opens = 0;
  return {
    fileName,
    contentType,
    size: data.length,
    open: () => {
      opens++;
      return (async function* () {
        for (let i = 0; i < data.length; i += 4096) yield data.subarray(i, i + 4096);
      })();
    },
    opens: () => opens,
  };
}

export function packageInput(code: string, patch: Partial<PackageInput> = {}): PackageInput {
  return {
    procedure: definition(code),
    form: VALID_FORMS[code],
    office: OFFICE,
    applicant: APPLICANT,
    attachments: [],
    ...patch,
  };
}

/** Parses XML and throws on any warning or error, so "parses" means well-formed and clean. */
export function parseXml(xml: string | Buffer): Document {
  const text = typeof xml === 'string' ? xml : xml.toString('utf8');
  const parser = new DOMParser({
    onError: (level, message) => {
      throw new Error(`XML ${level}: ${message}`);
    },
  });
  return parser.parseFromString(text, 'application/xml');
}

export function elements(parent: Document | Element, name: string): Element[] {
  return Array.from(parent.getElementsByTagName(name));
}

/** The text of the only `name` element below `parent`; fails when there is not exactly one. */
export function onlyText(parent: Document | Element, name: string): string {
  const found = elements(parent, name);
  if (found.length !== 1) throw new Error(`expected one <${name}>, found ${found.length}`);
  return found[0].textContent ?? '';
}

export interface UnzippedEntry {
  name: string;
  data: Buffer;
  generalPurposeBitFlag: number;
}

/** Reads every entry of a ZIP with yauzl (which itself refuses absolute paths, `..` and backslashes). */
export async function unzip(zip: Buffer): Promise<UnzippedEntry[]> {
  const file = await yauzl.fromBufferPromise(zip, {
    lazyEntries: true,
    decodeStrings: true,
    strictFileNames: true,
    validateEntrySizes: true,
  });
  const out: UnzippedEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    file.on('error', reject);
    file.on('end', () => resolve());
    file.on('entry', (entry: yauzl.Entry) => {
      file
        .openReadStreamPromise(entry)
        .then(async (stream) => {
          const chunks: Buffer[] = [];
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          out.push({ name: entry.fileName, data: Buffer.concat(chunks), generalPurposeBitFlag: entry.generalPurposeBitFlag });
          file.readEntry();
        })
        .catch(reject);
    });
    file.readEntry();
  });
  return out;
}
