import { egovMapping } from '@charlotte/procedures';
import type { EgovMapping, ProcedureDefinition } from '@charlotte/procedures';
import { EgovPackageError } from './errors';
import type { PackageInput, SubmitTo } from './types';

/**
 * How our procedure codes map to e-Gov.
 *
 * The ids, names and the element mapping of each procedure live beside its
 * definition in libs/procedures/src/definitions/<code>.v<N>.egov.json (read
 * from the public e-Gov skeletons, see docs/egov-facts.md). EGOV_PROCEDURES
 * below repeats only the proc_id and family per code, for callers that have a
 * code and no definition (matching an arrived case by proc_id); a spec checks
 * that both agree.
 */

/** 社会保険 (健康保険・厚生年金保険, 日本年金機構) or 雇用保険 (ハローワーク). */
export type ProcedureFamily = 'shaho' | 'koyo';

export interface EgovProcedureInfo {
  /** e-Gov 手続ID (proc_id). */
  readonly procId: string;
  readonly family: ProcedureFamily;
}

/** Kept for callers that still test for it: no real id starts with it. */
export const PLACEHOLDER_PROC_ID_PREFIX = '999X';

/** proc_id shape: 16 characters, digits and capital letters. */
const PROC_ID_RE = /^[0-9A-Z]{16}$/;

/** The 手続ID of a 取下げ依頼 (withdrawal request), common to every procedure. */
export const WITHDRAWAL_PROC_ID = '9990000000000003';

/**
 * Our procedure code → e-Gov procedure. A code missing here cannot be packaged
 * (fails closed rather than guessing a family or an id).
 */
export const EGOV_PROCEDURES: Readonly<Record<string, EgovProcedureInfo>> = Object.freeze({
  // 健康保険・厚生年金保険被保険者資格取得届（単記用）（２０２４年１２月以降手続き）／電子申請
  'shaho-shutoku': { procId: '4950013521019000', family: 'shaho' },
  // 健康保険・厚生年金保険被保険者資格喪失届（単記用）（２０１９年５月以降手続き）／電子申請
  'shaho-soshitsu': { procId: '4950013520714000', family: 'shaho' },
  // 健康保険・厚生年金保険被保険者賞与支払届（単記用）（２０１９年５月以降手続き）／電子申請
  'shaho-shoyo': { procId: '4950013520733000', family: 'shaho' },
  // 雇用保険被保険者資格取得届（令和４年６月以降手続き）／電子申請
  'koyo-shutoku': { procId: '4950008680033000', family: 'koyo' },
});

/**
 * The default 提出先 per family. The real 提出先 is a particular 年金事務所 /
 * 事務センター or 公共職業安定所 chosen by the office's address, with its
 * 提出先識別子; until offices carry it, callers pass `submitTo` to override.
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

/** The full mapping (ids, names, element tree) of a definition the registry loaded; EgovPackageError without one. */
export function egovMappingFor(procedure: ProcedureDefinition): EgovMapping {
  egovProcedure(procedure.code);
  const mapping = egovMapping(procedure);
  if (!mapping) {
    throw new EgovPackageError(
      'egov_package_unknown_procedure',
      `${procedure.code} v${procedure.version} has no e-Gov mapping (${procedure.code}.v${procedure.version}.egov.json)`,
      'procedure.code',
    );
  }
  return mapping;
}

/** The proc_id for a package: the input's override when given (checked), else the mapping's. */
export function resolveProcId(input: Pick<PackageInput, 'procedure' | 'procId'>): string {
  const procId = input.procId ?? egovMappingFor(input.procedure).procId;
  // It goes into kousei.xml, the ZIP folder and the API's JSON: only the documented shape.
  if (!PROC_ID_RE.test(procId)) {
    throw new EgovPackageError('egov_package_unknown_procedure', 'proc_id must be 16 digits or capital letters', 'procId');
  }
  return procId;
}

/** The 提出先 for a package: the input's when given, else the family default. */
export function resolveSubmitTo(input: Pick<PackageInput, 'procedure' | 'submitTo'>): SubmitTo {
  return input.submitTo ?? DEFAULT_SUBMIT_TO[egovProcedure(input.procedure.code).family];
}

/** True for a made-up id of the earlier placeholder builder: a production gateway must not send it. Real ids: false. */
export function isPlaceholderProcId(procId: string): boolean {
  return procId.startsWith(PLACEHOLDER_PROC_ID_PREFIX);
}
