/**
 * Test-only helpers for the package builder's specs: example inputs, a strict
 * XML parser and a ZIP reader. Not exported from index.ts.
 */
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element } from '@xmldom/xmldom';
import * as yauzl from 'yauzl';
import type { ProcedureDefinition } from '../../procedures/definition';
import { ProcedureRegistry } from '../../procedures/registry';
import type { PackageApplicant, PackageAttachment, PackageInput, PackageOffice } from './types';

export const registry = ProcedureRegistry.load();

export function definition(code: string): ProcedureDefinition {
  const def = registry.get(code);
  if (!def) throw new Error(`no definition ${code}`);
  return def;
}

/** The My Number of the examples (valid check digit). */
export const MY_NUMBER = '123456789018';

/**
 * A complete, valid, normalised form per procedure (from procedures/validate.spec.ts;
 * 基礎年金番号 without its hyphen, as normalizeForm stores it).
 */
export const VALID_FORMS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'shaho-shutoku': {
    familyName: '山田',
    givenName: '太郎',
    familyNameKana: 'ヤマダ',
    givenNameKana: 'タロウ',
    birthDate: '1990-04-01',
    insuredType: '1',
    acquisitionType: '1',
    myNumber: MY_NUMBER,
    acquisitionDate: '2025-04-01',
    hasDependents: '0',
    remunerationCash: 300000,
    remunerationInKind: 12000,
    remunerationTotal: 312000,
    shortTimeWorker: true,
  },
  'shaho-soshitsu': {
    insuredSerialNumber: '123',
    familyName: '山田',
    givenName: '太郎',
    familyNameKana: 'ヤマダ',
    givenNameKana: 'タロウ',
    birthDate: '1960-05-10',
    basicPensionNumber: '1234567890',
    lossReason: '4',
    retirementDate: '2025-03-31',
    lossDate: '2025-04-01',
    cardsAttached: 1,
  },
  'koyo-shutoku': {
    myNumber: MY_NUMBER,
    acquisitionType: '1',
    familyName: '佐藤',
    givenName: '花子',
    familyNameKana: 'サトウ',
    givenNameKana: 'ハナコ',
    sex: '2',
    birthDate: '2002-10-01',
    acquisitionCause: '1',
    wagePaymentType: '1',
    monthlyWage: 220,
    acquisitionDate: '2025-04-01',
    employmentType: '7',
    occupation: '03',
    jobRoute: '2',
    weeklyHours: 40,
    weeklyMinutes: 0,
    fixedTermContract: '1',
    contractStartDate: '2025-04-01',
    contractEndDate: '2026-03-31',
    renewalClause: '1',
  },
  'shaho-shoyo': {
    insuredSerialNumber: '45',
    familyName: '鈴木',
    givenName: '一郎',
    birthDate: '1950-01-15',
    over70: true,
    myNumber: MY_NUMBER,
    bonusPaymentDate: '2025-07-10',
    bonusCash: 1234567,
    bonusTotal: 1234000,
    sameMonthCombined: true,
    firstPaymentDay: 3,
  },
};

export const OFFICE: PackageOffice = {
  name: '株式会社シャルロット',
  address: '東京都千代田区丸の内1-1-1',
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
