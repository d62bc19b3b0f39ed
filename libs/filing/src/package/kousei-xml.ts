import { EgovPackageError } from './errors';
import { isSafeFileName } from './file-names';
import { resolveProcId, resolveSubmitTo } from './procedure-ids';
import type { PackageApplicant, PackageFiles, PackageInput } from './types';
import { assertXmlText, present, serializeXml, textElement } from './xml-writer';
import type { XmlElement } from './xml-writer';

/** The ZIP entry name of the 構成管理 XML. */
export const KOUSEI_FILE_NAME = 'kousei.xml';

/**
 * The 構成管理 XML (kousei.xml): which procedure, who to contact, which files
 * the package holds.
 *
 * PLACEHOLDER SHAPE: the five blocks and their order are those domain.md lists
 * for e-Gov's 構成管理 (手続番号, 申請者連絡先情報, 添付書類属性情報,
 * 提出先情報, 申請書属性情報); the element names inside them and the
 * `format="charlotte-generic/1"` root attribute are ours, pending e-Gov's
 * published 構成管理XML schema:
 *
 * ```xml
 * <構成管理 format="charlotte-generic/1">
 *   <手続番号>999X000000000001</手続番号>
 *   <申請者連絡先情報><氏名/><氏名フリガナ/><郵便番号/><住所/><電話番号/><メールアドレス/></申請者連絡先情報>
 *   <添付書類属性情報>
 *     <添付書類><ファイル名/><種別>application/pdf</種別><サイズ>1234</サイズ><SHA256>hex</SHA256></添付書類>
 *   </添付書類属性情報>
 *   <提出先情報><名称>日本年金機構</名称></提出先情報>
 *   <申請書属性情報>
 *     <申請書><ファイル名/><手続名称/><手続コード/><様式バージョン/></申請書>
 *   </申請書属性情報>
 * </構成管理>
 * ```
 *
 * Holds no form data: in particular never the 個人番号.
 */
export type KouseiXmlInput = Pick<PackageInput, 'procedure' | 'applicant' | 'submitTo' | 'procId'>;

const SHA256_HEX_RE = /^[0-9a-f]{64}$/;

function invalid(path: string, what: string): EgovPackageError {
  return new EgovPackageError('egov_package_invalid_input', `${path} ${what}`, path);
}

/** An optional text item: absent → left out; otherwise a checked string. */
function optionalText(name: string, value: unknown, path: string): XmlElement | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(path, 'must be a string');
  assertXmlText(value, path);
  return textElement(name, value);
}

function requiredText(name: string, value: unknown, path: string): XmlElement {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(path, 'is required');
  assertXmlText(value, path);
  return { name, text: value };
}

function applicantElement(a: PackageApplicant): XmlElement {
  return {
    name: '申請者連絡先情報',
    children: present([
      requiredText('氏名', a.name, 'applicant.name'),
      optionalText('氏名フリガナ', a.nameKana, 'applicant.nameKana'),
      optionalText('郵便番号', a.postalCode, 'applicant.postalCode'),
      optionalText('住所', a.address, 'applicant.address'),
      optionalText('電話番号', a.phone, 'applicant.phone'),
      optionalText('メールアドレス', a.email, 'applicant.email'),
    ]),
  };
}

/**
 * Builds kousei.xml for `files` (names as they are in the ZIP). Throws
 * EgovPackageError: `egov_package_invalid_input` for a missing applicant name
 * or 提出先, an unsafe file name, a size or hash that is not one;
 * `egov_package_invalid_text` for a character XML cannot carry;
 * `egov_package_unknown_procedure` for a procedure without proc_id.
 */
export function buildKouseiXml(input: KouseiXmlInput, files: PackageFiles): string {
  const procId = resolveProcId(input);
  const submitTo = resolveSubmitTo(input);
  if (files.forms.length === 0) throw invalid('files.forms', 'must list at least one 申請書');

  const forms = files.forms.map((f, i): XmlElement => {
    if (!isSafeFileName(f.fileName)) throw invalid(`files.forms[${i}].fileName`, 'is not a safe file name');
    return {
      name: '申請書',
      children: [
        { name: 'ファイル名', text: f.fileName },
        { name: '手続名称', text: input.procedure.name },
        { name: '手続コード', text: input.procedure.code },
        { name: '様式バージョン', text: String(input.procedure.version) },
      ],
    };
  });

  const attachments = files.attachments.map((a, i): XmlElement => {
    const path = `files.attachments[${i}]`;
    if (!isSafeFileName(a.fileName)) throw invalid(`${path}.fileName`, 'is not a safe file name');
    if (!Number.isSafeInteger(a.size) || a.size < 0) throw invalid(`${path}.size`, 'must be a byte count');
    if (!SHA256_HEX_RE.test(a.sha256)) throw invalid(`${path}.sha256`, 'must be a lowercase hex SHA-256');
    return {
      name: '添付書類',
      children: [
        { name: 'ファイル名', text: a.fileName },
        requiredText('種別', a.contentType, `${path}.contentType`),
        { name: 'サイズ', text: String(a.size) },
        { name: 'SHA256', text: a.sha256 },
      ],
    };
  });

  return serializeXml({
    name: '構成管理',
    attrs: { format: 'charlotte-generic/1' },
    children: [
      { name: '手続番号', text: procId },
      applicantElement(input.applicant),
      { name: '添付書類属性情報', children: attachments },
      { name: '提出先情報', children: [requiredText('名称', submitTo.name, 'submitTo.name')] },
      { name: '申請書属性情報', children: forms },
    ],
  });
}
