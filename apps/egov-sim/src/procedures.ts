/**
 * The procedures the simulator knows, in ONE place. When e-Gov revises a form
 * (new 様式ID / 手続ID), change this table; `GET /procedure/{proc_id}`, the
 * package checks and `validPackage` all read it.
 *
 * Sources: 手続ID / 様式ID / 受付行政機関ID from Michiko3333/LABOR_950
 * (storage/app/ledger-template/<手続ID>/kousei.xml) and issue 16; the
 * withdrawal procedure (9990000000000003, torisageirai.xml, 様式ID
 * 999000000000000003) from kufu/kiji spec/fixtures/base_files.
 */

export type SignaturePolicy = 'required' | 'optional-gbiz' | 'none';

export interface ProcedureDef {
  procId: string;
  /** 受付行政機関ID (empty for the withdrawal procedure, as in kiji's fixture). */
  agencyId: string;
  /** 手続名称 as the skeleton's kousei.xml carries it. */
  procName: string;
  /** 申請書 様式ID (18 characters); the 申請書 file is `{formId}_01.xml` (torisageirai.xml for the withdrawal). */
  formId: string;
  formVersion: string;
  /** 申請書様式名称. */
  formName: string;
  /** The 申請書's root form element (child of DataRoot after Doctype). */
  formElement: string;
  /** File name of the 申請書 in the package. */
  formFileName: string;
  /** 府省名 for results.ministry_name (≤ 12 characters). */
  ministryName: string;
  /** 提出先識別子 / 提出先名称 of the skeleton. */
  destinationId: string;
  destinationName: string;
  signature: SignaturePolicy;
}

/** 構成管理 (kousei.xml) 様式ID and version, common to every procedure. */
export const KOUSEI_FORM_ID = '999000000000000001';
/** kiji's withdrawal kousei skeleton carries this 様式ID instead: accepted for 9990000000000003 only. */
export const KOUSEI_FORM_ID_WITHDRAWAL = '999000000000000009';
export const KOUSEI_FORM_VERSION = '0001';
export const KOUSEI_FILE_NAME = 'kousei.xml';

export const WITHDRAWAL_PROC_ID = '9990000000000003';
export const WITHDRAWAL_FORM_ID = '999000000000000003';
export const WITHDRAWAL_FILE_NAME = 'torisageirai.xml';

const NENKIN = { agencyId: '100495', ministryName: '厚生労働省', destinationId: '100495001', destinationName: '日本年金機構' };

export const PROCEDURES: Readonly<Record<string, ProcedureDef>> = {
  '4950013521019000': {
    procId: '4950013521019000',
    ...NENKIN,
    procName: '健康保険・厚生年金保険被保険者資格取得届／厚生年金保険７０歳以上被用者該当届（2024年12月以降）',
    formId: '495013521019030837',
    formVersion: '0001',
    formName: '健康保険・厚生年金保険被保険者資格取得届',
    formElement: '様式',
    formFileName: '495013521019030837_01.xml',
    signature: 'optional-gbiz',
  },
  '4950013520714000': {
    procId: '4950013520714000',
    ...NENKIN,
    procName: '健康保険・厚生年金保険被保険者資格喪失届／厚生年金保険７０歳以上被用者不該当届',
    formId: '495013520714030511',
    formVersion: '0001',
    formName: '健康保険・厚生年金保険被保険者資格喪失届',
    formElement: '様式',
    formFileName: '495013520714030511_01.xml',
    signature: 'optional-gbiz',
  },
  '4950013520733000': {
    procId: '4950013520733000',
    ...NENKIN,
    procName: '健康保険・厚生年金保険被保険者賞与支払届／厚生年金保険７０歳以上被用者賞与支払届',
    formId: '495013520733030526',
    formVersion: '0001',
    formName: '健康保険・厚生年金保険被保険者賞与支払届',
    formElement: '様式',
    formFileName: '495013520733030526_01.xml',
    signature: 'optional-gbiz',
  },
  '4950008680033000': {
    procId: '4950008680033000',
    agencyId: '100495',
    ministryName: '厚生労働省',
    destinationId: '100495002',
    destinationName: '公共職業安定所',
    procName: '雇用保険被保険者資格取得届（令和４年６月以降手続き）／電子申請',
    formId: '495008680033800330',
    formVersion: '0001',
    formName: '雇用保険被保険者資格取得届',
    formElement: 'G00005-A-250045-001_1',
    formFileName: '495008680033800330_01.xml',
    signature: 'optional-gbiz',
  },
  [WITHDRAWAL_PROC_ID]: {
    procId: WITHDRAWAL_PROC_ID,
    agencyId: '',
    ministryName: 'デジタル庁',
    destinationId: '',
    destinationName: '',
    procName: '取下げ依頼',
    formId: WITHDRAWAL_FORM_ID,
    formVersion: '0001',
    formName: '取下げ依頼XML',
    formElement: '取下げ依頼情報',
    formFileName: WITHDRAWAL_FILE_NAME,
    signature: 'optional-gbiz',
  },
};

export function findProcedure(procId: string): ProcedureDef | undefined {
  return Object.prototype.hasOwnProperty.call(PROCEDURES, procId) ? PROCEDURES[procId] : undefined;
}

/** The signature policy in force: `requireSignature` (a sim option) makes every procedure 'required'. */
export function signaturePolicy(proc: ProcedureDef, requireSignature: boolean): SignaturePolicy {
  return requireSignature ? 'required' : proc.signature;
}

/** 申請種別 values (kiji's shinki_/partamend_/saiteishutsu_ fixtures and 9990000000000003 skeleton). */
export const APPLY_TYPE = {
  new: '新規申請',
  partialAmend: '部分補正',
  resubmit: '再提出',
  withdrawal: '取下げ依頼',
} as const;
export type ApplyType = (typeof APPLY_TYPE)[keyof typeof APPLY_TYPE];
