import { EgovPackageError } from './errors';
import { buildKouseiXml } from './kousei-xml';
import { EGOV_PROCEDURES } from './procedure-ids';
import type { PackageFiles } from './types';
import { APPLICANT, definition, elements, onlyText, packageInput, parseXml } from './test-helpers';

const SHA = 'a'.repeat(64);
const FILES: PackageFiles = {
  forms: [{ fileName: 'shaho-shutoku_01.xml' }],
  attachments: [
    { fileName: '雇用契約書.pdf', contentType: 'application/pdf', size: 1234, sha256: SHA },
    { fileName: 'photo.jpg', contentType: 'image/jpeg', size: 0, sha256: 'b'.repeat(64) },
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

describe(buildKouseiXml.name, () => {
  const xml = buildKouseiXml(packageInput('shaho-shutoku'), FILES);
  const doc = parseXml(xml);

  it('has the five blocks of 構成管理 in order', () => {
    expect(doc.documentElement!.tagName).toBe('構成管理');
    const blocks = Array.from(doc.documentElement!.childNodes)
      .filter((n) => n.nodeType === 1)
      .map((n) => n.nodeName);
    expect(blocks).toEqual(['手続番号', '申請者連絡先情報', '添付書類属性情報', '提出先情報', '申請書属性情報']);
  });

  it('carries the proc_id of the procedure (a placeholder today) or the override', () => {
    expect(onlyText(doc, '手続番号')).toBe(EGOV_PROCEDURES['shaho-shutoku'].procId);
    const other = parseXml(buildKouseiXml(packageInput('shaho-shutoku', { procId: '950A010000000000' }), FILES));
    expect(onlyText(other, '手続番号')).toBe('950A010000000000');
  });

  it('carries the applicant contact', () => {
    const contact = elements(doc, '申請者連絡先情報')[0];
    expect(onlyText(contact, '氏名')).toBe(APPLICANT.name);
    expect(onlyText(contact, '氏名フリガナ')).toBe(APPLICANT.nameKana);
    expect(onlyText(contact, '郵便番号')).toBe(APPLICANT.postalCode);
    expect(onlyText(contact, '住所')).toBe(APPLICANT.address);
    expect(onlyText(contact, '電話番号')).toBe(APPLICANT.phone);
    expect(onlyText(contact, 'メールアドレス')).toBe(APPLICANT.email);
  });

  it('leaves out the contact items that are absent', () => {
    const d = parseXml(buildKouseiXml(packageInput('shaho-shutoku', { applicant: { name: '田中', phone: '' } }), FILES));
    const contact = elements(d, '申請者連絡先情報')[0];
    expect(
      Array.from(contact.childNodes)
        .filter((n) => n.nodeType === 1)
        .map((n) => n.nodeName),
    ).toEqual(['氏名']);
  });

  it('lists every attachment with name, type, size and SHA-256', () => {
    const entries = elements(doc, '添付書類');
    expect(entries.map((e) => [onlyText(e, 'ファイル名'), onlyText(e, '種別'), onlyText(e, 'サイズ'), onlyText(e, 'SHA256')])).toEqual([
      ['雇用契約書.pdf', 'application/pdf', '1234', SHA],
      ['photo.jpg', 'image/jpeg', '0', 'b'.repeat(64)],
    ]);
  });

  it('has an empty 添付書類属性情報 when there are no attachments', () => {
    const d = parseXml(buildKouseiXml(packageInput('shaho-shutoku'), { ...FILES, attachments: [] }));
    expect(elements(d, '添付書類属性情報')).toHaveLength(1);
    expect(elements(d, '添付書類')).toHaveLength(0);
  });

  it('names the 提出先: the family default or the one given', () => {
    expect(onlyText(elements(doc, '提出先情報')[0], '名称')).toBe('日本年金機構');
    const koyo = parseXml(buildKouseiXml(packageInput('koyo-shutoku'), { ...FILES, forms: [{ fileName: 'koyo-shutoku_01.xml' }] }));
    expect(onlyText(elements(koyo, '提出先情報')[0], '名称')).toBe('公共職業安定所');
    const given = parseXml(buildKouseiXml(packageInput('shaho-shutoku', { submitTo: { name: '千代田年金事務所' } }), FILES));
    expect(onlyText(elements(given, '提出先情報')[0], '名称')).toBe('千代田年金事務所');
  });

  it('describes the 申請書 file: name, procedure name, code and version', () => {
    const form = elements(elements(doc, '申請書属性情報')[0], '申請書')[0];
    expect(onlyText(form, 'ファイル名')).toBe('shaho-shutoku_01.xml');
    expect(onlyText(form, '手続名称')).toBe(definition('shaho-shutoku').name);
    expect(onlyText(form, '手続コード')).toBe('shaho-shutoku');
    expect(onlyText(form, '様式バージョン')).toBe('1');
  });

  it('escapes the applicant: a name with <&>"\' round-trips as text and injects no element', () => {
    const name = `<氏名>偽</氏名><&>"' ]]>`;
    const xmlText = buildKouseiXml(
      packageInput('shaho-shutoku', { applicant: { name, address: '<メールアドレス>x@evil</メールアドレス>' } }),
      FILES,
    );
    const d = parseXml(xmlText);
    expect(onlyText(d, '氏名')).toBe(name);
    expect(onlyText(d, '住所')).toBe('<メールアドレス>x@evil</メールアドレス>');
    expect(elements(d, 'メールアドレス')).toHaveLength(0);
    expect(xmlText).not.toContain(']]>');
  });

  it.each([
    ['a missing applicant name', { applicant: { name: '  ' } }, 'egov_package_invalid_input', 'applicant.name'],
    [
      'a control character in the e-mail',
      { applicant: { name: '田中', email: 'a@b\u0007.jp' } },
      'egov_package_invalid_text',
      'applicant.email',
    ],
    [
      'a non-string phone',
      { applicant: { name: '田中', phone: 312345678 as unknown as string } },
      'egov_package_invalid_input',
      'applicant.phone',
    ],
    ['an empty 提出先', { submitTo: { name: '' } }, 'egov_package_invalid_input', 'submitTo.name'],
  ])('refuses %s', (_what, patch, code, path) => {
    const e = thrown(() => buildKouseiXml(packageInput('shaho-shutoku', patch), FILES));
    expect([e.code, e.path]).toEqual([code, path]);
  });

  it.each([
    ['a path as file name', { fileName: '../kousei.xml' }, 'files.attachments[0].fileName'],
    ['a hash that is not SHA-256 hex', { sha256: 'A'.repeat(64) }, 'files.attachments[0].sha256'],
    ['a negative size', { size: -1 }, 'files.attachments[0].size'],
    ['an empty content type', { contentType: '' }, 'files.attachments[0].contentType'],
  ])('refuses an attachment with %s', (_what, patch, path) => {
    const files = { ...FILES, attachments: [{ ...FILES.attachments[0], ...patch }] };
    const e = thrown(() => buildKouseiXml(packageInput('shaho-shutoku'), files));
    expect([e.code, e.path]).toEqual(['egov_package_invalid_input', path]);
  });

  it('refuses a package without 申請書', () => {
    expect(thrown(() => buildKouseiXml(packageInput('shaho-shutoku'), { ...FILES, forms: [] })).code).toBe('egov_package_invalid_input');
  });
});
