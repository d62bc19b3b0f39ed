import type { Element } from '@xmldom/xmldom';
import { listFields, validateForm } from '@charlotte/procedures';
import { EgovPackageError } from './errors';
import { buildFormXml, formFileName, FORM_XML_FORMAT } from './form-xml';
import { definition, elements, MY_NUMBER, OFFICE, packageInput, parseXml, VALID_FORMS } from './test-helpers';

const codes = Object.keys(VALID_FORMS);

/** The <項目> of a form field by name (fails unless exactly one). */
function item(xml: string, name: string): Element {
  const found = elements(parseXml(xml), '項目').filter((e) => e.getAttribute('name') === name);
  if (found.length !== 1) throw new Error(`expected one 項目 ${name}, found ${found.length}`);
  return found[0];
}

function thrown(fn: () => unknown): EgovPackageError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EgovPackageError) return e;
    throw e;
  }
  throw new Error('expected an EgovPackageError, nothing was thrown');
}

describe(buildFormXml.name, () => {
  it('has valid example forms (complete mode) for every procedure', () => {
    for (const code of codes) expect(validateForm(definition(code), { ...VALID_FORMS[code] }, 'complete')).toEqual([]);
  });

  describe.each(codes)('%s', (code) => {
    const def = definition(code);
    const xml = buildFormXml(packageInput(code));
    const doc = parseXml(xml);

    it('is a well-formed document with the procedure on the root', () => {
      expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<申請書 ')).toBe(true);
      const root = doc.documentElement!;
      expect(root.tagName).toBe('申請書');
      expect(root.getAttribute('procedure')).toBe(code);
      expect(root.getAttribute('version')).toBe(String(def.version));
      expect(root.getAttribute('name')).toBe(def.name);
      expect(root.getAttribute('format')).toBe(FORM_XML_FORMAT);
      expect(root.getAttribute('eraCodes')).toBe(code.startsWith('koyo-') ? 'employment' : 'pension');
    });

    it('writes exactly the present fields, each once, in definition order', () => {
      const form = VALID_FORMS[code];
      const expected = listFields(def)
        .map((f) => f.name)
        .filter((n) => form[n] !== undefined);
      const written = elements(doc, '項目群').flatMap((g) => elements(g, '項目').map((e) => e.getAttribute('name')));
      expect(written).toEqual(expected);
    });

    it('writes integers in decimal, booleans as 1/0, codes as their value, dates in era form with the ISO date kept', () => {
      const form = VALID_FORMS[code];
      for (const f of listFields(def)) {
        const value = form[f.name];
        if (value === undefined) continue;
        const el = item(xml, f.name);
        expect(el.getAttribute('type')).toBe(f.type);
        expect(el.getAttribute('label')).toBe(f.label);
        if (f.type === 'boolean') expect(el.textContent).toBe(value ? '1' : '0');
        else if (f.type === 'date') {
          expect(el.getAttribute('iso')).toBe(value);
          expect(el.textContent).toMatch(/^[1-9]\d{6}$/);
        } else expect(el.textContent).toBe(String(value));
      }
    });

    it('leaves out sections with no value', () => {
      const ids = elements(doc, '項目群').map((g) => g.getAttribute('id'));
      const withValues = def.sections.filter((s) => s.fields.some((f) => VALID_FORMS[code][f.name] !== undefined)).map((s) => s.id);
      expect(ids).toEqual(withValues);
    });

    it('carries the office and the identifiers its family needs, and no others', () => {
      const office = elements(doc, '事業所');
      expect(office).toHaveLength(1);
      const names = elements(office[0], '項目').map((e) => e.getAttribute('name'));
      expect(names).toContain('officeName');
      if (code.startsWith('koyo-')) {
        expect(names).toEqual(['employmentOfficeNumber', 'officeName', 'officeAddress']);
      } else {
        expect(names).toEqual(['pensionOfficeCode', 'pensionOfficeNumber', 'officeName', 'officeAddress']);
      }
      expect(xml).not.toContain(OFFICE.laborInsuranceNumber!);
    });
  });

  it('writes 生年月日 1990-04-01 (平成2年) as 7020401 on a pension form', () => {
    const el = item(buildFormXml(packageInput('shaho-shutoku')), 'birthDate');
    expect(el.textContent).toBe('7020401');
    expect(el.getAttribute('era')).toBe('平成');
    expect(el.getAttribute('iso')).toBe('1990-04-01');
  });

  it('writes 令和 and 昭和 dates with the pension codes', () => {
    const xml = buildFormXml(packageInput('shaho-soshitsu'));
    expect(item(xml, 'birthDate').textContent).toBe('5350510'); // 昭和35年5月10日
    expect(item(xml, 'lossDate').textContent).toBe('9070401'); // 令和7年4月1日
  });

  it('writes 雇用保険 dates with the employment era codes, not the pension ones', () => {
    const xml = buildFormXml(packageInput('koyo-shutoku'));
    expect(item(xml, 'birthDate').textContent).toBe('4141001'); // 平成14年10月1日
    expect(item(xml, 'acquisitionDate').textContent).toBe('5070401'); // 令和7年4月1日
  });

  it('includes the 個人番号 (the authority needs it)', () => {
    expect(item(buildFormXml(packageInput('shaho-shutoku')), 'myNumber').textContent).toBe(MY_NUMBER);
  });

  it('writes false as 0 and leaves out undefined, null and empty values', () => {
    const form = { ...VALID_FORMS['shaho-shutoku'], over70: false, otherRemarks: '', postalCode: null, address: undefined };
    const xml = buildFormXml(packageInput('shaho-shutoku', { form }));
    expect(item(xml, 'over70').textContent).toBe('0');
    expect(elements(parseXml(xml), '項目').some((e) => ['otherRemarks', 'postalCode', 'address'].includes(e.getAttribute('name')!))).toBe(
      false,
    );
    expect(xml).not.toContain('id="address"');
  });

  it('escapes user text: markup in 備考 and in the office name round-trips as text and injects nothing', () => {
    const nasty = `<injected/>&amp; "quoted" 'single' ]]> <![CDATA[x]]>`;
    const form = { ...VALID_FORMS['shaho-shutoku'], otherRemarks: nasty };
    const xml = buildFormXml(packageInput('shaho-shutoku', { form, office: { ...OFFICE, name: `<&>"'` } }));
    const doc = parseXml(xml);
    expect(item(xml, 'otherRemarks').textContent).toBe(nasty);
    expect(item(xml, 'officeName').textContent).toBe(`<&>"'`);
    expect(elements(doc, '事業所')).toHaveLength(1);
    expect(elements(doc, 'injected')).toHaveLength(0);
    expect(xml).not.toContain('<injected');
    expect(xml).not.toContain(']]>');
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

  it('names the file after the procedure and its position', () => {
    expect(formFileName(definition('shaho-shutoku'))).toBe('shaho-shutoku_01.xml');
    expect(formFileName(definition('koyo-shutoku'), 12)).toBe('koyo-shutoku_12.xml');
  });
});
