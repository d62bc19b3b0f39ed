import { EgovPackageError } from './errors';
import type { PackageInput, SubmitTo } from './types';

/**
 * How our procedure codes map to e-Gov.
 *
 * PLACEHOLDERS: the proc_id (手続識別子, 16 characters) values below are made
 * up. The real ids come from the e-Gov procedure catalogue (手続検索 / the
 * procedure's API 仕様) and must be confirmed in the e-Gov sandbox before any
 * real filing. They all start with PLACEHOLDER_PROC_ID_PREFIX so that a
 * production gateway can refuse them (isPlaceholderProcId).
 */

/** 社会保険 (健康保険・厚生年金保険, 日本年金機構) or 雇用保険 (ハローワーク). */
export type ProcedureFamily = 'shaho' | 'koyo';

export interface EgovProcedureInfo {
  /** e-Gov 手続識別子 (proc_id). */
  readonly procId: string;
  readonly family: ProcedureFamily;
}

/** No real proc_id starts with this (real ones begin with the ministry's 3-digit number and a letter such as 950A). */
export const PLACEHOLDER_PROC_ID_PREFIX = '999X';

/** proc_id shape: 16 characters, digits and capital letters. */
const PROC_ID_RE = /^[0-9A-Z]{16}$/;

/**
 * Our procedure code → e-Gov procedure. A code missing here cannot be packaged
 * (fails closed rather than guessing a family or an id).
 */
export const EGOV_PROCEDURES: Readonly<Record<string, EgovProcedureInfo>> = Object.freeze({
  // 健康保険・厚生年金保険 被保険者資格取得届: PLACEHOLDER id
  'shaho-shutoku': { procId: '999X000000000001', family: 'shaho' },
  // 健康保険・厚生年金保険 被保険者資格喪失届: PLACEHOLDER id
  'shaho-soshitsu': { procId: '999X000000000002', family: 'shaho' },
  // 健康保険・厚生年金保険 被保険者賞与支払届: PLACEHOLDER id
  'shaho-shoyo': { procId: '999X000000000003', family: 'shaho' },
  // 雇用保険被保険者資格取得届: PLACEHOLDER id
  'koyo-shutoku': { procId: '999X000000000004', family: 'koyo' },
});

/**
 * The default 提出先 per family. The real 提出先 is a particular 年金事務所 /
 * 事務センター or 公共職業安定所 chosen by the office's address; until offices
 * carry it, callers pass `submitTo` to override.
 */
export const DEFAULT_SUBMIT_TO: Readonly<Record<ProcedureFamily, SubmitTo>> = Object.freeze({
  shaho: { name: '日本年金機構' },
  koyo: { name: '公共職業安定所' },
});

/** The e-Gov mapping of one of our procedure codes; EgovPackageError when there is none. */
export function egovProcedure(code: string): EgovProcedureInfo {
  const info = Object.prototype.hasOwnProperty.call(EGOV_PROCEDURES, code) ? EGOV_PROCEDURES[code] : undefined;
  if (!info) throw new EgovPackageError('egov_package_unknown_procedure', `no e-Gov procedure is mapped for "${code}"`, 'procedure.code');
  return info;
}

/** The proc_id for a package: the input's override when given (checked), else the mapping's. */
export function resolveProcId(input: Pick<PackageInput, 'procedure' | 'procId'>): string {
  const procId = input.procId ?? egovProcedure(input.procedure.code).procId;
  // It goes into kousei.xml, the file name and the API's JSON: only the documented shape.
  if (!PROC_ID_RE.test(procId)) {
    throw new EgovPackageError('egov_package_unknown_procedure', 'proc_id must be 16 digits or capital letters', 'procId');
  }
  return procId;
}

/** The 提出先 for a package: the input's when given, else the family default. */
export function resolveSubmitTo(input: Pick<PackageInput, 'procedure' | 'submitTo'>): SubmitTo {
  return input.submitTo ?? DEFAULT_SUBMIT_TO[egovProcedure(input.procedure.code).family];
}

/** True for the made-up ids of this file: a production gateway must not send them. */
export function isPlaceholderProcId(procId: string): boolean {
  return procId.startsWith(PLACEHOLDER_PROC_ID_PREFIX);
}
