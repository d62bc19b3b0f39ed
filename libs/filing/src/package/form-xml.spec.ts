import type { Element } from '@xmldom/xmldom';
import { validateForm } from '@charlotte/procedures';
import { EgovPackageError } from './errors';
import { buildFormXml, formFileName, pensionOfficeCodeParts } from './form-xml';
import { definition, elements, MY_NUMBER, OFFICE, onlyText, packageInput, parseXml, VALID_FORMS } from './test-helpers';

const codes = Object.keys(VALID_FORMS);
const SUBMITTED = new Date('2025-04-01T03:00:00Z'); // 令和7年4月1日 JST

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

/** The text of the element reached by a path of child names from the form element. */
function at(xml: string, ...path: string[]): string {
  let el = parseXml(xml).documentElement!;
  for (const name of path) {
    const next = Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1 && n.nodeName === name);
    if (next.length !== 1) throw new Error(`expected one ${name} under ${el.nodeName}, found ${next.length}`);
    el = next[0];
  }
  return el.textContent ?? '';
}

const build = (code: string, patch: Parameters<typeof packageInput>[1] = {}): string =>
  buildFormXml({ ...packageInput(code, patch), submittedAt: SUBMITTED });

/** Real skeleton facts per form (Michiko3333/LABOR_950 ledger-template, see docs/egov-facts.md). */
const REAL: Record<string, { formId: string; version: string; root: string; pages: string[] }> = {
  'shaho-shutoku': {
    formId: '495013521019030837',
    version: '1',
    root: 'G00005-A-330522-001_1',
    pages: ['P1_G00005-A-330522-001_1', 'P2_G00005-A-330522-001_2'],
  },
  'shaho-soshitsu': {
    formId: '495013520714030511',
    version: '2',
    root: 'G00006-A-330388-001_1',
    pages: ['P1_G00006-A-330388-001_1', 'P2_G00006-A-330388-001_2'],
  },
  'shaho-shoyo': { formId: '495013520733030526', version: '1', root: 'A-330397-001_1', pages: [] },
  'koyo-shutoku': { formId: '495008680033800330', version: '0001', root: 'G00005-A-250045-001_1', pages: [] },
};

describe(buildFormXml.name, () => {
  it('has valid example forms (complete mode) for every procedure', () => {
    for (const code of codes) expect(validateForm(definition(code), { ...VALID_FORMS[code] }, 'complete')).toEqual([]);
  });

  describe.each(codes)('%s', (code) => {
    const xml = build(code);
    const doc = parseXml(xml);
    const real = REAL[code];

    it('has the DataRoot head of the real 申請書 XML, then the form element', () => {
      const root = doc.documentElement!;
      expect(root.tagName).toBe('DataRoot');
      expect(childNames(root)).toEqual(['様式ID', '様式バージョン', 'STYLESHEET', '様式コピー情報', 'Doctype', real.root]);
      expect(onlyText(root, '様式ID')).toBe(real.formId);
      expect(at(xml, '様式バージョン')).toBe(real.version);
      expect(at(xml, 'STYLESHEET')).toBe(`${real.formId}.xsl`);
      expect(at(xml, '様式コピー情報')).toBe('0');
      expect(at(xml, 'Doctype')).toBe('1');
      if (real.pages.length > 0) expect(childNames(elements(doc, real.root)[0])).toEqual(real.pages);
    });

    it('ends every page with Xmit 0', () => {
      const pages = real.pages.length > 0 ? real.pages.map((p) => elements(doc, p)[0]) : [elements(doc, real.root)[0]];
      for (const p of pages) expect(childNames(p).at(-1)).toMatch(/Xmit$/);
    });
  });

  it('writes the 資格取得届 in the real element order, filled from the form and the office', () => {
    const xml = build('shaho-shutoku');
    const p1 = elements(parseXml(xml), 'P1_G00005-A-330522-001_1')[0];
    expect(childNames(p1).slice(0, 16)).toEqual([
      'P1_標題x健康保険',
      'P1_標題x厚生年金保険',
      'P1_提出年月日',
      'P1_事業所整理記号x都道府県コード',
      'P1_事業所整理記号x郡市区記号',
      'P1_事業所整理記号x事業所記号',
      'P1_事業所番号',
      'P1_事業所所在地x郵便番号x親番号',
      'P1_事業所所在地x郵便番号x子番号',
      'P1_事業所所在地',
      'P1_事業所名称',
      'P1_事業主氏名',
      'P1_電話番号',
      'P1_社会保険労務士の提出代行者名',
      'P1_氏名xカナ氏名',
      'P1_氏名x漢字氏名',
    ]);
    const page = ['G00005-A-330522-001_1', 'P1_G00005-A-330522-001_1'];
    expect(at(xml, ...page, 'P1_氏名x漢字氏名')).toBe('山田　太郎');
    expect(at(xml, ...page, 'P1_氏名xカナ氏名')).toBe('ヤマダ　タロウ');
    expect(at(xml, ...page, 'P1_個人番号または基礎年金番号')).toBe(MY_NUMBER);
    expect(at(xml, ...page, 'P1_種別')).toBe('1');
    expect(at(xml, ...page, 'P1_報酬月額x合計額')).toBe('312000');
    expect(at(xml, ...page, 'P1_備考x該当x短時間労働者の取得')).toBe('1');
    expect(at(xml, ...page, 'P1_備考x該当x70歳以上被用者該当')).toBe('');
    expect(at(xml, ...page, 'P1_事業所整理記号x都道府県コード')).toBe('13');
    expect(at(xml, ...page, 'P1_事業所整理記号x郡市区記号')).toBe('01');
    expect(at(xml, ...page, 'P1_事業所整理記号x事業所記号')).toBe('イロハ');
    expect(at(xml, ...page, 'P1_事業所番号')).toBe('12345');
    expect(at(xml, ...page, 'P1_事業所所在地x郵便番号x親番号')).toBe('100');
    expect(at(xml, ...page, 'P1_事業所所在地x郵便番号x子番号')).toBe('0005');
    expect(at(xml, ...page, 'P1_事業主氏名')).toBe(OFFICE.ownerName);
    expect(at(xml, 'G00005-A-330522-001_1', 'P2_G00005-A-330522-001_2', 'P2_届書処理区分')).toBe('1');
  });

  it('splits era dates into 元号/年/月/日 elements with the pension codes (平成2年4月1日 → 7/02/04/01, 令和7年4月1日 → 9/07/04/01)', () => {
    const xml = build('shaho-shutoku');
    const page = ['G00005-A-330522-001_1', 'P1_G00005-A-330522-001_1'];
    expect(childNames(elements(parseXml(xml), 'P1_生年月日')[0])).toEqual(['P1_元号', 'P1_年', 'P1_月', 'P1_日']);
    expect(['P1_元号', 'P1_年', 'P1_月', 'P1_日'].map((n) => at(xml, ...page, 'P1_生年月日', n))).toEqual(['7', '02', '04', '01']);
    expect(['P1_元号', 'P1_年', 'P1_月', 'P1_日'].map((n) => at(xml, ...page, 'P1_取得x該当年月日', n))).toEqual(['9', '07', '04', '01']);
    // 提出年月日 has no 元号 element on the pension forms.
    expect(childNames(elements(parseXml(xml), 'P1_提出年月日')[0])).toEqual(['P1_年', 'P1_月', 'P1_日']);
    expect(['P1_年', 'P1_月', 'P1_日'].map((n) => at(xml, ...page, 'P1_提出年月日', n))).toEqual(['07', '04', '01']);
    const showa = build('shaho-shoyo');
    expect(['元号', '年', '月', '日'].map((n) => at(showa, 'A-330397-001_1', '生年月日', n))).toEqual(['5', '25', '01', '15']);
  });

  it('writes 雇用保険 dates with 年号 and the employment era codes, numbers split 4/6/CD', () => {
    const xml = build('koyo-shutoku');
    const r = 'G00005-A-250045-001_1';
    expect(['年号', '年', '月', '日'].map((n) => at(xml, r, '生年月日', n))).toEqual(['4', '14', '10', '01']);
    expect(['年号', '年', '月', '日'].map((n) => at(xml, r, '資格取得年月日', n))).toEqual(['5', '07', '04', '01']);
    expect(['事業所番号4桁', '事業所番号6桁', '事業所番号CD'].map((n) => at(xml, r, '事業所番号', n))).toEqual(['1301', '123456', '0']);
    expect(at(xml, r, '帳票種別')).toBe('19101');
    expect(at(xml, r, '個人番号')).toBe(MY_NUMBER);
    expect(at(xml, r, '被保険者氏名')).toBe('佐藤　花子');
    expect(at(xml, r, '賃金', '賃金月額')).toBe('220');
    expect(at(xml, r, '契約期間の定めの有無', '契約期間の定め有', '契約期間終了', '年')).toBe('08');
    expect(at(xml, r, '届出年月日', '年号')).toBe('5');
    const withNumber = build('koyo-shutoku', { form: { ...VALID_FORMS['koyo-shutoku'], insuredNumber: '12345678901' } });
    expect(['被保険者番号4桁', '被保険者番号6桁', '被保険者番号CD'].map((n) => at(withNumber, r, '被保険者番号', n))).toEqual([
      '1234',
      '567890',
      '1',
    ]);
  });

  it('writes the 喪失届 and the 賞与支払届 from their forms', () => {
    const loss = build('shaho-soshitsu');
    const p = ['G00006-A-330388-001_1', 'P1_G00006-A-330388-001_1'];
    expect(at(loss, ...p, 'P1_被保険者整理番号')).toBe('123');
    expect(at(loss, ...p, 'P1_個人番号または基礎年金番号')).toBe('1234567890');
    expect(at(loss, ...p, 'P1_喪失原因')).toBe('4');
    expect(at(loss, ...p, 'P1_保険証回収添付')).toBe('1');
    expect(at(loss, ...p, 'P1_死亡年月日', 'P1_元号')).toBe('');
    const bonus = build('shaho-shoyo');
    expect(at(bonus, 'A-330397-001_1', '賞与支払額x通貨')).toBe('1234567');
    expect(at(bonus, 'A-330397-001_1', '備考x選択x同月内の賞与合算')).toBe('1');
    expect(at(bonus, 'A-330397-001_1', '備考x初回支払日')).toBe('3');
    expect(at(bonus, 'A-330397-001_1', '届書処理区分')).toBe('5');
  });

  it('writes false as 0 and absent values as empty elements', () => {
    const form = { ...VALID_FORMS['shaho-shutoku'], over70: false, remunerationInKind: undefined };
    const xml = build('shaho-shutoku', { form });
    const page = ['G00005-A-330522-001_1', 'P1_G00005-A-330522-001_1'];
    expect(at(xml, ...page, 'P1_備考x該当x70歳以上被用者該当')).toBe('0');
    expect(at(xml, ...page, 'P1_報酬月額x現物')).toBe('');
  });

  it('escapes user text: markup in 備考 and in the office name round-trips as text and injects nothing', () => {
    const text = '<備考>&amp; "x" </P1_備考xその他><injected/>';
    const xml = build('shaho-shutoku', {
      form: { ...VALID_FORMS['shaho-shutoku'], otherRemarks: text },
      office: { ...OFFICE, name: text },
    });
    const page = ['G00005-A-330522-001_1', 'P1_G00005-A-330522-001_1'];
    expect(at(xml, ...page, 'P1_備考xその他')).toBe(text);
    expect(at(xml, ...page, 'P1_備考x該当xその他')).toBe('1');
    expect(at(xml, ...page, 'P1_事業所名称')).toBe(text);
    expect(elements(parseXml(xml), 'injected')).toHaveLength(0);
  });

  it.each([
    ['01イロハ with the address prefecture', { pensionOfficeCode: '01イロハ', address: '大阪府大阪市北区1-1' }, ['27', '01', 'イロハ']],
    ['PP-DD-記号', { pensionOfficeCode: '13-05-アイウ' }, ['13', '05', 'アイウ']],
    ['PPDD記号', { pensionOfficeCode: '0105ABCD' }, ['01', '05', 'ABCD']],
    ['DD-記号 with prefectureCode', { pensionOfficeCode: '05-ア', prefectureCode: '47', address: undefined }, ['47', '05', 'ア']],
  ])('splits the 事業所整理記号 %s', (_what, patch, parts) => {
    const p = pensionOfficeCodeParts({ ...OFFICE, ...patch });
    expect([p.prefecture, p.district, p.office]).toEqual(parts);
  });

  it.each([
    ['no prefecture known', { pensionOfficeCode: '01-イロハ', address: '丸の内1-1' }, 'office.prefectureCode'],
    ['a prefecture code out of range', { pensionOfficeCode: '48-01-イ' }, 'office.prefectureCode'],
    ['a 事業所記号 too long', { pensionOfficeCode: '13-01-アイウエオ' }, 'office.pensionOfficeCode'],
    ['no 郡市区記号', { pensionOfficeCode: 'イロハ' }, 'office.pensionOfficeCode'],
  ])('refuses a 事業所整理記号 with %s (office_incomplete)', (_what, patch, path) => {
    const e = thrown(() => pensionOfficeCodeParts({ ...OFFICE, ...patch }));
    expect(e.code).toBe('egov_package_office_incomplete');
    expect(e.path).toBe(path);
  });

  it('refuses a control character in a form value (invalid_text), naming the field only', () => {
    const form = { ...VALID_FORMS['shaho-shutoku'], otherRemarks: '秘密\u0000の備考' };
    const e = thrown(() => buildFormXml(packageInput('shaho-shutoku', { form })));
    expect(e.code).toBe('egov_package_invalid_text');
    expect(e.path).toBe('form.otherRemarks');
    expect(e.message).not.toContain('秘密');
  });

  it.each([
    ['an unknown key', { nickname: 'x' }, 'form'],
    ['a number for the 個人番号', { myNumber: Number(MY_NUMBER) }, 'form.myNumber'],
    ['a string for an integer', { remunerationCash: '300000' }, 'form.remunerationCash'],
    ['a fraction', { remunerationCash: 0.5 }, 'form.remunerationCash'],
    ['a string for a boolean', { over70: 'true' }, 'form.over70'],
    ['a code outside the list', { insuredType: '9' }, 'form.insuredType'],
    ['a number for a code', { insuredType: 1 }, 'form.insuredType'],
    ['an impossible date', { birthDate: '1990-02-30' }, 'form.birthDate'],
    ['a slash date', { birthDate: '1990/04/01' }, 'form.birthDate'],
    ['an object for a string', { familyName: { toString: () => '山田' } }, 'form.familyName'],
  ])('refuses %s (invalid_form) without quoting the value', (_what, patch, path) => {
    const e = thrown(() => buildFormXml(packageInput('shaho-shutoku', { form: { ...VALID_FORMS['shaho-shutoku'], ...patch } })));
    expect(e.code).toBe('egov_package_invalid_form');
    expect(e.path).toBe(path);
    expect(e.message).not.toContain(MY_NUMBER);
    expect(e.message).not.toContain('1990');
  });

  it('refuses a 明治 date on a 雇用保険 form (no employment era code for it)', () => {
    const form = { ...VALID_FORMS['koyo-shutoku'], birthDate: '1900-01-01' };
    expect(thrown(() => buildFormXml(packageInput('koyo-shutoku', { form }))).path).toBe('form.birthDate');
  });

  it.each([
    ['shaho-shutoku', 'pensionOfficeNumber'],
    ['shaho-shoyo', 'pensionOfficeCode'],
    ['koyo-shutoku', 'employmentOfficeNumber'],
  ] as const)('refuses a %s office without %s (office_incomplete)', (code, key) => {
    const e = thrown(() => buildFormXml(packageInput(code, { office: { ...OFFICE, [key]: undefined } })));
    expect(e.code).toBe('egov_package_office_incomplete');
    expect(e.path).toBe(`office.${key}`);
  });

  it('does not need the pension identifiers for a 雇用保険 form', () => {
    const office = { name: OFFICE.name, employmentOfficeNumber: OFFICE.employmentOfficeNumber };
    expect(() => buildFormXml(packageInput('koyo-shutoku', { office }))).not.toThrow();
  });

  it('refuses a procedure with no e-Gov mapping', () => {
    const procedure = { ...definition('shaho-shutoku'), code: 'rosai-kyufu' };
    expect(thrown(() => buildFormXml(packageInput('shaho-shutoku', { procedure }))).code).toBe('egov_package_unknown_procedure');
  });

  it('names the file after the 様式ID and its position', () => {
    expect(formFileName(definition('shaho-shutoku'))).toBe('495013521019030837_01.xml');
    expect(formFileName(definition('koyo-shutoku'), 12)).toBe('495008680033800330_12.xml');
  });
});
