import { EgovPackageError } from './errors';
import { isSafeFileName } from './file-names';
import { formHeader } from './form-xml';
import { egovMappingFor, resolveProcId, resolveSubmitTo } from './procedure-ids';
import type { AttachmentFileInfo, FormFileInfo, PackageApplicant, PackageFiles, PackageInput, PackageOffice, SubmitTo } from './types';
import { assertXmlText } from './xml-writer';
import { serializeXml } from './xml-writer';
import type { XmlElement } from './xml-writer';

/** The ZIP entry name of the 構成管理 XML. */
export const KOUSEI_FILE_NAME = 'kousei.xml';

/** 様式ID of the kousei.xml of a filing (新規申請, 部分補正, 再提出). */
export const KOUSEI_FORM_ID = '999000000000000001';
/** 様式ID of the kousei.xml of a 取下げ依頼 (kufu/kiji 9990000000000003_base_kousei.xml). */
export const WITHDRAWAL_KOUSEI_FORM_ID = '999000000000000009';

/** 申請種別 values as e-Gov writes them. */
export const APPLY_TYPES = ['新規申請', '部分補正', '再提出', '取下げ依頼'] as const;
export type KouseiApplyType = (typeof APPLY_TYPES)[number];

/** arrive_id (到達番号): 16 to 18 digits. */
export const ARRIVE_ID_RE = /^[0-9]{16,18}$/;

/**
 * The 構成管理 XML (kousei.xml), in the structure of e-Gov's skeletons (public
 * templates: kufu/kiji spec/fixtures/base_files/*_kousei.xml, Michiko3333/LABOR_950
 * storage/app/ledger-template/<手続ID>/kousei.xml; see docs/egov-facts.md):
 *
 * ```xml
 * <DataRoot>
 *   <様式ID>999000000000000001</様式ID><様式バージョン>0001</様式バージョン><STYLESHEET>999000000000000001.xsl</STYLESHEET>
 *   <構成情報 ID="構成情報">
 *     <管理情報>
 *       <手続番号><受付行政機関ID/><手続ID/></手続番号><手続名称/><初回受付番号/><申請種別/>
 *       <申請者連絡先情報><申請者情報>…</申請者情報><連絡先情報>…</連絡先情報><委任登録票添付情報>…</委任登録票添付情報></申請者連絡先情報>
 *     </管理情報>
 *     <添付書類属性情報><添付種別>添付</添付種別><添付書類名称/><添付書類ファイル名称/><提出情報>1</提出情報></添付書類属性情報>*
 *     <手数料情報>手数料1…6</手数料情報><通信欄/><府省照会情報>府省照会1…10</府省照会情報>
 *     <提出先情報><提出先識別子/><提出先名称/></提出先情報>
 *     <申請書属性情報><申請書様式ID/><申請書様式バージョン/><申請書様式名称/><申請書ファイル名称/></申請書属性情報>
 *   </構成情報>
 *   (<署名情報> is inserted here by the signer)
 *   <その他><法人番号/></その他>
 * </DataRoot>
 * ```
 *
 * Holds no form data: in particular never the 個人番号.
 */
export type KouseiXmlInput = Pick<
  PackageInput,
  'procedure' | 'applicant' | 'submitTo' | 'procId' | 'applyType' | 'firstArriveId' | 'contact'
> & {
  readonly office?: Pick<PackageOffice, 'corporateNumber'>;
};

/** Everything a kousei.xml says, for a filing or a withdrawal. */
export interface KouseiSpec {
  readonly kouseiFormId: string;
  readonly agencyId: string;
  readonly procId: string;
  readonly procName: string;
  readonly applyType: KouseiApplyType;
  readonly firstArriveId?: string;
  readonly applicant: PackageApplicant;
  readonly contact?: PackageApplicant;
  readonly attachments: readonly AttachmentFileInfo[];
  readonly submitTo?: SubmitTo;
  readonly forms: readonly Required<FormFileInfo>[];
  /** <その他><法人番号> after 構成情報: present in the procedure skeletons, absent from the 取下げ依頼 one. */
  readonly other?: { readonly corporateNumber?: string };
}

function invalid(path: string, what: string): EgovPackageError {
  return new EgovPackageError('egov_package_invalid_input', `${path} ${what}`, path);
}

function text(name: string, value: unknown, path: string, required = false): XmlElement {
  if (value === undefined || value === null || value === '') {
    if (required) throw invalid(path, 'is required');
    return { name, text: '' };
  }
  if (typeof value !== 'string') throw invalid(path, 'must be a string');
  if (required && value.trim() === '') throw invalid(path, 'is required');
  assertXmlText(value, path);
  return { name, text: value };
}

/** 申請者情報 / 連絡先情報: the 13 items in the skeleton's order. */
function person(name: string, a: PackageApplicant, path: string): XmlElement {
  if (typeof a !== 'object' || a === null) throw invalid(path, 'is required');
  return {
    name,
    children: [
      text('氏名', a.name, `${path}.name`, true),
      text('氏名フリガナ', a.nameKana, `${path}.nameKana`),
      text('役職', a.position, `${path}.position`),
      text('法人団体名', a.corporateName, `${path}.corporateName`),
      text('法人団体名フリガナ', a.corporateNameKana, `${path}.corporateNameKana`),
      text('部門名', a.division, `${path}.division`),
      text('部門名フリガナ', a.divisionKana, `${path}.divisionKana`),
      text('郵便番号', a.postalCode, `${path}.postalCode`),
      text('住所', a.address, `${path}.address`),
      text('住所フリガナ', a.addressKana, `${path}.addressKana`),
      text('電話番号', a.phone, `${path}.phone`),
      text('FAX番号', a.fax, `${path}.fax`),
      text('電子メールアドレス', a.email, `${path}.email`),
    ],
  };
}

const empty = (...names: string[]): XmlElement[] => names.map((name) => ({ name, text: '' }));

/** The file name without its extension: the default 添付書類名称. */
function titleOf(a: AttachmentFileInfo): string {
  const dot = a.fileName.lastIndexOf('.');
  return a.title ?? (dot > 0 ? a.fileName.slice(0, dot) : a.fileName);
}

/** Serialises a kousei.xml from its parts (checked). */
export function kouseiXml(spec: KouseiSpec): string {
  if (!(APPLY_TYPES as readonly string[]).includes(spec.applyType)) throw invalid('applyType', 'is not a 申請種別');
  const needsFirst = spec.applyType !== '新規申請';
  if (needsFirst && (typeof spec.firstArriveId !== 'string' || !ARRIVE_ID_RE.test(spec.firstArriveId))) {
    throw invalid('firstArriveId', `must be the arrive_id (16 to 18 digits) of the first filing for ${spec.applyType}`);
  }
  if (!needsFirst && spec.firstArriveId !== undefined) throw invalid('firstArriveId', 'is only for 部分補正, 再提出 and 取下げ依頼');
  if (spec.forms.length === 0) throw invalid('files.forms', 'must list at least one 申請書');

  const attachments = spec.attachments.map((a, i): XmlElement => {
    const path = `files.attachments[${i}]`;
    if (!isSafeFileName(a.fileName)) throw invalid(`${path}.fileName`, 'is not a safe file name');
    return {
      name: '添付書類属性情報',
      children: [
        { name: '添付種別', text: '添付' },
        text('添付書類名称', titleOf(a), `${path}.title`, true),
        { name: '添付書類ファイル名称', text: a.fileName },
        { name: '提出情報', text: '1' },
      ],
    };
  });
  const forms = spec.forms.map((f, i): XmlElement => {
    if (!isSafeFileName(f.fileName)) throw invalid(`files.forms[${i}].fileName`, 'is not a safe file name');
    return {
      name: '申請書属性情報',
      children: [
        { name: '申請書様式ID', text: f.formId },
        { name: '申請書様式バージョン', text: f.formVersion },
        text('申請書様式名称', f.formName, `files.forms[${i}].formName`, true),
        { name: '申請書ファイル名称', text: f.fileName },
      ],
    };
  });
  const corporateNumber = spec.other?.corporateNumber;
  if (corporateNumber !== undefined && !/^[0-9]{13}$/.test(corporateNumber)) throw invalid('office.corporateNumber', 'must be 13 digits');

  return serializeXml({
    name: 'DataRoot',
    children: [
      ...formHeader(spec.kouseiFormId, '0001'),
      {
        name: '構成情報',
        attrs: { ID: '構成情報' },
        children: [
          {
            name: '管理情報',
            children: [
              {
                name: '手続番号',
                children: [
                  { name: '受付行政機関ID', text: spec.agencyId },
                  { name: '手続ID', text: spec.procId },
                ],
              },
              text('手続名称', spec.procName, 'procName', true),
              { name: '初回受付番号', text: spec.firstArriveId ?? '' },
              { name: '申請種別', text: spec.applyType },
              {
                name: '申請者連絡先情報',
                children: [
                  person('申請者情報', spec.applicant, 'applicant'),
                  person('連絡先情報', spec.contact ?? spec.applicant, spec.contact ? 'contact' : 'applicant'),
                  { name: '委任登録票添付情報', children: empty('発行番号', '委任登録票名称', '委任登録票ファイル名称') },
                ],
              },
            ],
          },
          ...attachments,
          {
            name: '手数料情報',
            children: [1, 2, 3, 4, 5, 6].map((n) => ({
              name: `手数料${n}`,
              children: empty('手数料識別子', '略科目コード', '略科目名', '振込金額'),
            })),
          },
          { name: '通信欄', text: '' },
          {
            name: '府省照会情報',
            children: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({
              name: `府省照会${n}`,
              children: empty('府省照会情報ラベル', '府省照会情報'),
            })),
          },
          {
            name: '提出先情報',
            children: [text('提出先識別子', spec.submitTo?.id, 'submitTo.id'), text('提出先名称', spec.submitTo?.name, 'submitTo.name')],
          },
          ...forms,
        ],
      },
      ...(spec.other ? [{ name: 'その他', children: [{ name: '法人番号', text: corporateNumber ?? '' }] }] : []),
    ],
  });
}

/**
 * Builds kousei.xml of a filing for `files` (names as they are in the ZIP
 * folder). Throws EgovPackageError: `egov_package_invalid_input` for a missing
 * applicant name or 提出先, an unsafe file name, a 部分補正/再提出 without the
 * first arrive_id; `egov_package_invalid_text` for a character XML cannot
 * carry; `egov_package_unknown_procedure` for a procedure without mapping.
 */
export function buildKouseiXml(input: KouseiXmlInput, files: PackageFiles): string {
  const mapping = egovMappingFor(input.procedure);
  const submitTo = resolveSubmitTo(input);
  if (typeof submitTo?.name !== 'string' || submitTo.name.trim() === '') throw invalid('submitTo.name', 'is required');
  return kouseiXml({
    kouseiFormId: KOUSEI_FORM_ID,
    agencyId: mapping.agencyId,
    procId: resolveProcId(input),
    procName: mapping.procName,
    applyType: input.applyType ?? '新規申請',
    firstArriveId: input.firstArriveId,
    applicant: input.applicant,
    contact: input.contact,
    attachments: files.attachments,
    submitTo,
    forms: files.forms.map((f) => ({
      fileName: f.fileName,
      formId: f.formId ?? mapping.formId,
      formVersion: f.formVersion ?? mapping.formVersion,
      formName: f.formName ?? mapping.formName,
    })),
    other: { corporateNumber: input.office?.corporateNumber },
  });
}
