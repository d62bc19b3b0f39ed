import type { Element } from '@xmldom/xmldom';
import { EgovPackageError } from './errors';
import { buildKouseiXml } from './kousei-xml';
import { EGOV_PROCEDURES, egovMappingFor } from './procedure-ids';
import type { PackageFiles } from './types';
import { APPLICANT, definition, elements, onlyText, packageInput, parseXml } from './test-helpers';

const SHA = 'a'.repeat(64);
const FILES: PackageFiles = {
  forms: [{ fileName: '495013521019030837_01.xml' }],
  attachments: [
    { fileName: '雇用契約書.pdf', contentType: 'application/pdf', size: 1234, sha256: SHA },
    { fileName: 'photo.jpg', contentType: 'image/jpeg', size: 0, sha256: 'b'.repeat(64), title: '本人確認書類' },
  ],
};

function thrown(fn: () => unknown): EgovPackageError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EgovPackageError) return e;
    throw e;
  }
  throw new Error('expected an EgovPackageError, nothing was thrown');
}

const childNames = (e: Element): string[] =>
  Array.from(e.childNodes)
    .filter((n) => n.nodeType === 1)
    .map((n) => n.nodeName);

describe(buildKouseiXml.name, () => {
  const xml = buildKouseiXml(packageInput('shaho-shutoku'), FILES);
  const doc = parseXml(xml);
  const root = doc.documentElement!;

  it('has the DataRoot of the e-Gov skeleton: 様式ID 999000000000000001, 構成情報 with its ID, then その他', () => {
    expect(root.tagName).toBe('DataRoot');
    expect(childNames(root)).toEqual(['様式ID', '様式バージョン', 'STYLESHEET', '構成情報', 'その他']);
    expect(onlyText(root, '様式ID')).toBe('999000000000000001');
    expect(onlyText(root, '様式バージョン')).toBe('0001');
    expect(onlyText(root, 'STYLESHEET')).toBe('999000000000000001.xsl');
    expect(elements(doc, '構成情報')[0].getAttribute('ID')).toBe('構成情報');
  });

  it('orders 構成情報 as the skeletons do, attachments right after 管理情報', () => {
    expect(childNames(elements(doc, '構成情報')[0])).toEqual([
      '管理情報',
      '添付書類属性情報',
      '添付書類属性情報',
      '手数料情報',
      '通信欄',
      '府省照会情報',
      '提出先情報',
      '申請書属性情報',
    ]);
    expect(childNames(elements(doc, '管理情報')[0])).toEqual(['手続番号', '手続名称', '初回受付番号', '申請種別', '申請者連絡先情報']);
    expect(childNames(elements(doc, '申請者連絡先情報')[0])).toEqual(['申請者情報', '連絡先情報', '委任登録票添付情報']);
    expect(childNames(elements(doc, '手数料情報')[0])).toEqual(['手数料1', '手数料2', '手数料3', '手数料4', '手数料5', '手数料6']);
    expect(childNames(elements(doc, '府省照会情報')[0])).toHaveLength(10);
  });

  it('carries the real ids and names of the procedure, 新規申請 with an empty 初回受付番号', () => {
    const m = egovMappingFor(definition('shaho-shutoku'));
    expect(onlyText(doc, '受付行政機関ID')).toBe('100495');
    expect(onlyText(doc, '手続ID')).toBe('4950013521019000');
    expect(onlyText(doc, '手続名称')).toBe('健康保険・厚生年金保険被保険者資格取得届（単記用）（２０２４年１２月以降手続き）／電子申請');
    expect(onlyText(doc, '申請種別')).toBe('新規申請');
    expect(onlyText(doc, '初回受付番号')).toBe('');
    const form = elements(doc, '申請書属性情報')[0];
    expect(childNames(form)).toEqual(['申請書様式ID', '申請書様式バージョン', '申請書様式名称', '申請書ファイル名称']);
    expect(onlyText(form, '申請書様式ID')).toBe('495013521019030837');
    expect(onlyText(form, '申請書様式バージョン')).toBe('0001');
    expect(onlyText(form, '申請書様式名称')).toBe(m.formName);
    expect(onlyText(form, '申請書ファイル名称')).toBe('495013521019030837_01.xml');
  });

  it('takes a well-formed proc_id override', () => {
    const other = parseXml(buildKouseiXml(packageInput('shaho-shutoku', { procId: '950A010000000000' }), FILES));
    expect(onlyText(other, '手続ID')).toBe('950A010000000000');
    expect(EGOV_PROCEDURES['shaho-shutoku'].procId).toBe('4950013521019000');
  });

  it('writes 申請者情報 and 連絡先情報 with the 13 items in order, the contact defaulting to the applicant', () => {
    const items = [
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
    ];
    for (const name of ['申請者情報', '連絡先情報']) {
      const p = elements(doc, name)[0];
      expect(childNames(p)).toEqual(items);
      expect(onlyText(p, '氏名')).toBe(APPLICANT.name);
      expect(onlyText(p, '電子メールアドレス')).toBe(APPLICANT.email);
      expect(onlyText(p, '役職')).toBe('');
    }
    const d = parseXml(buildKouseiXml(packageInput('shaho-shutoku', { contact: { name: '担当 佐藤', phone: '0399999999' } }), FILES));
    expect(onlyText(elements(d, '連絡先情報')[0], '氏名')).toBe('担当 佐藤');
    expect(onlyText(elements(d, '申請者情報')[0], '氏名')).toBe(APPLICANT.name);
  });

  it('lists each attachment as 添付 with its title (default: the name without extension) and 提出情報 1', () => {
    const listed = elements(doc, '添付書類属性情報').map((e) => childNames(e).map((n) => onlyText(e, n)));
    expect(listed).toEqual([
      ['添付', '雇用契約書', '雇用契約書.pdf', '1'],
      ['添付', '本人確認書類', 'photo.jpg', '1'],
    ]);
    expect(childNames(elements(doc, '添付書類属性情報')[0])).toEqual(['添付種別', '添付書類名称', '添付書類ファイル名称', '提出情報']);
  });

  it('writes 提出先情報 (識別子 when known) and 法人番号 under その他', () => {
    const d = parseXml(
      buildKouseiXml(
        {
          ...packageInput('koyo-shutoku', { submitTo: { id: '49511000010000000003658', name: '北海道,札幌公共職業安定所' } }),
          office: { corporateNumber: '1234567890123' },
        },
        FILES,
      ),
    );
    expect(onlyText(d, '提出先識別子')).toBe('49511000010000000003658');
    expect(onlyText(d, '提出先名称')).toBe('北海道,札幌公共職業安定所');
    expect(onlyText(elements(d, 'その他')[0], '法人番号')).toBe('1234567890123');
    expect(onlyText(doc, '提出先名称')).toBe('日本年金機構');
    expect(onlyText(doc, '提出先識別子')).toBe('');
  });

  it.each(['部分補正', '再提出'] as const)('writes %s with the first arrive_id as 初回受付番号', (applyType) => {
    const d = parseXml(buildKouseiXml(packageInput('shaho-soshitsu', { applyType, firstArriveId: '900201500024394100' }), FILES));
    expect(onlyText(d, '申請種別')).toBe(applyType);
    expect(onlyText(d, '初回受付番号')).toBe('900201500024394100');
  });

  it.each([
    ['部分補正 without the first arrive_id', { applyType: '部分補正' as const }],
    ['再提出 with a malformed arrive_id', { applyType: '再提出' as const, firstArriveId: '12345' }],
    ['新規申請 with an arrive_id', { firstArriveId: '9002015000243941' }],
    ['an unknown 申請種別', { applyType: '取り消し' as unknown as '再提出', firstArriveId: '9002015000243941' }],
  ])('refuses %s', (_what, patch) => {
    expect(thrown(() => buildKouseiXml(packageInput('shaho-shutoku', patch), FILES)).code).toBe('egov_package_invalid_input');
  });

  it('holds no form data', () => {
    expect(xml).not.toContain('123456789018');
    expect(xml).not.toContain('山田');
  });

  it('refuses a missing applicant name, an unsafe file name and a broken 法人番号', () => {
    expect(thrown(() => buildKouseiXml(packageInput('shaho-shutoku', { applicant: { name: ' ' } }), FILES)).path).toBe('applicant.name');
    expect(thrown(() => buildKouseiXml(packageInput('shaho-shutoku'), { ...FILES, forms: [{ fileName: '../x.xml' }] })).code).toBe(
      'egov_package_invalid_input',
    );
    expect(thrown(() => buildKouseiXml({ ...packageInput('shaho-shutoku'), office: { corporateNumber: '12' } }, FILES)).path).toBe(
      'office.corporateNumber',
    );
  });

  it('refuses a control character in a contact item, naming the path', () => {
    const e = thrown(() => buildKouseiXml(packageInput('shaho-shutoku', { applicant: { name: '田中', address: 'a\u0000b' } }), FILES));
    expect(e.code).toBe('egov_package_invalid_text');
    expect(e.path).toBe('applicant.address');
  });
});
