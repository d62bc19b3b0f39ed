import { escapeXml } from './http';
import { KOUSEI_FORM_ID, KOUSEI_FORM_VERSION, WITHDRAWAL_FORM_ID, type ApplyType, type ProcedureDef } from './procedures';

/**
 * Builders of the real package XML structures (kousei.xml, 申請書 XML,
 * torisageirai.xml). Element names and order follow kufu/kiji's
 * spec/fixtures/base_files (shinki_/partamend_/saiteishutsu_ kousei,
 * 9990000000000003_base_kousei.xml, torisageirai.xml) and
 * Michiko3333/LABOR_950's ledger-template kousei.xml (その他/法人番号).
 * Used by GET /procedure/{proc_id} (skeletons) and by src/testing.ts.
 */

export interface PersonInfo {
  氏名: string;
  氏名フリガナ?: string;
  役職?: string;
  法人団体名?: string;
  法人団体名フリガナ?: string;
  部門名?: string;
  部門名フリガナ?: string;
  郵便番号?: string;
  住所?: string;
  住所フリガナ?: string;
  電話番号?: string;
  FAX番号?: string;
  電子メールアドレス?: string;
}

/** Children of 申請者情報 / 連絡先情報, in order. */
export const PERSON_FIELDS = [
  '氏名',
  '氏名フリガナ',
  '役職',
  '法人団体名',
  '法人団体名フリガナ',
  '部門名',
  '部門名フリガナ',
  '郵便番号',
  '住所',
  '住所フリガナ',
  '電話番号',
  'FAX番号',
  '電子メールアドレス',
] as const;

export interface KouseiOptions {
  proc: ProcedureDef;
  applyType: ApplyType;
  /** 初回受付番号: the first arrive_id (部分補正, 再提出, 取下げ依頼); empty for 新規申請. */
  firstArriveId?: string;
  /** 手続名称 (default proc.procName; the withdrawal carries the target's 手続名称). */
  procName?: string;
  applicant: PersonInfo;
  contact?: PersonInfo;
  /** 添付書類属性情報: attachments listed in kousei. */
  attachments?: Array<{ name: string; fileName: string }>;
  /** 申請書属性情報 entries (default: the procedure's one 申請書). */
  forms?: Array<{ formId: string; formVersion: string; formName: string; fileName: string }>;
  corporateNumber?: string;
  /** Overrides for tests that need a wrong value. */
  kouseiFormId?: string;
}

const el = (name: string, value: string | undefined): string => (value ? `<${name}>${escapeXml(value)}</${name}>` : `<${name}/>`);

function person(tag: string, p: PersonInfo | undefined): string {
  const fields = PERSON_FIELDS.map((f) => el(f, p?.[f])).join('');
  return `<${tag}>${fields}</${tag}>`;
}

export function kouseiXml(o: KouseiOptions): string {
  const forms = o.forms ?? [
    { formId: o.proc.formId, formVersion: o.proc.formVersion, formName: o.proc.formName, fileName: o.proc.formFileName },
  ];
  const fees = [1, 2, 3, 4, 5, 6].map((i) => `<手数料${i}><手数料識別子/><略科目コード/><略科目名/><振込金額/></手数料${i}>`).join('');
  const queries = Array.from({ length: 10 }, (_, i) => `<府省照会${i + 1}><府省照会情報ラベル/><府省照会情報/></府省照会${i + 1}>`).join(
    '',
  );
  const formId = o.kouseiFormId ?? KOUSEI_FORM_ID;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<DataRoot>',
    `<様式ID>${formId}</様式ID>`,
    `<様式バージョン>${KOUSEI_FORM_VERSION}</様式バージョン>`,
    `<STYLESHEET>${formId}.xsl</STYLESHEET>`,
    '<構成情報 ID="構成情報">',
    '<管理情報>',
    `<手続番号>${el('受付行政機関ID', o.proc.agencyId)}${el('手続ID', o.proc.procId)}</手続番号>`,
    el('手続名称', o.procName ?? o.proc.procName),
    el('初回受付番号', o.firstArriveId),
    el('申請種別', o.applyType),
    `<申請者連絡先情報>${person('申請者情報', o.applicant)}${person('連絡先情報', o.contact ?? o.applicant)}<委任登録票添付情報><発行番号/><委任登録票名称/><委任登録票ファイル名称/></委任登録票添付情報></申請者連絡先情報>`,
    '</管理情報>',
    ...(o.attachments ?? []).map(
      (a) => `<添付書類属性情報>${el('添付書類名称', a.name)}${el('添付書類ファイル名称', a.fileName)}</添付書類属性情報>`,
    ),
    `<手数料情報>${fees}</手数料情報>`,
    '<通信欄/>',
    `<府省照会情報>${queries}</府省照会情報>`,
    `<提出先情報>${el('提出先識別子', o.proc.destinationId)}${el('提出先名称', o.proc.destinationName)}</提出先情報>`,
    ...forms.map(
      (f) =>
        `<申請書属性情報>${el('申請書様式ID', f.formId)}${el('申請書様式バージョン', f.formVersion)}${el('申請書様式名称', f.formName)}${el('申請書ファイル名称', f.fileName)}</申請書属性情報>`,
    ),
    '</構成情報>',
    `<その他>${el('法人番号', o.corporateNumber)}</その他>`,
    '</DataRoot>',
    '',
  ].join('\n');
}

/** A 申請書 XML: DataRoot with 様式ID, 様式バージョン, STYLESHEET, 様式コピー情報, Doctype, then the form element. */
export function formXml(proc: ProcedureDef, items: Record<string, string> = {}, formId = proc.formId): string {
  const body = Object.entries(items)
    .map(([k, v]) => el(k, v))
    .join('');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<DataRoot>',
    `<様式ID>${formId}</様式ID>`,
    `<様式バージョン>${proc.formVersion}</様式バージョン>`,
    `<STYLESHEET>${formId}.xsl</STYLESHEET>`,
    '<様式コピー情報>0</様式コピー情報>',
    '<Doctype>1</Doctype>',
    `<${proc.formElement}>${body}</${proc.formElement}>`,
    '</DataRoot>',
    '',
  ].join('\n');
}

export interface WithdrawalRequest {
  arriveId: string;
  procName: string;
  applicantName: string;
  /** 依頼年月日 (年, 月, 日 as written: western year). */
  date: { year: number; month: number; day: number };
  reason: string;
}

/** torisageirai.xml (様式ID 999000000000000003). */
export function torisageiraiXml(w: WithdrawalRequest): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<DataRoot>',
    `<様式ID>${WITHDRAWAL_FORM_ID}</様式ID>`,
    '<様式バージョン>0001</様式バージョン>',
    `<STYLESHEET>${WITHDRAWAL_FORM_ID}.xsl</STYLESHEET>`,
    '<取下げ依頼情報>',
    el('到達番号', w.arriveId),
    el('手続名称', w.procName),
    el('申請者氏名', w.applicantName),
    `<依頼年月日>${el('年', String(w.date.year))}${el('月', String(w.date.month))}${el('日', String(w.date.day))}</依頼年月日>`,
    el('理由', w.reason),
    '</取下げ依頼情報>',
    '</DataRoot>',
    '',
  ].join('\n');
}
