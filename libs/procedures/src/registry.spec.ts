import * as path from 'node:path';
import { ProcedureDefinitionError } from './definition';
import { DEFINITIONS_RELATIVE_DIR, findDefinitionsDir, ProcedureRegistry } from './registry';

const minimal = (code: string, version: number, name = '届'): string =>
  JSON.stringify({
    code,
    version,
    name,
    nameEn: 'Form',
    dueRule: '5日以内',
    dueRuleEn: 'Within 5 days',
    sections: [
      { id: 'main', title: '本体', titleEn: 'Main', fields: [{ name: 'x', label: 'X', labelEn: 'X', help: 'X', type: 'boolean' }] },
    ],
    rules: [],
  });

describe(ProcedureRegistry.name, () => {
  describe('load', () => {
    it('finds and loads the shipped definitions', () => {
      const sut = ProcedureRegistry.load();
      expect(sut.list().map((d) => d.code)).toEqual(['koyo-shutoku', 'shaho-shoyo', 'shaho-shutoku', 'shaho-soshitsu']);
      expect(sut.get('shaho-shutoku')?.name).toBe('健康保険・厚生年金保険 被保険者資格取得届');
      expect(sut.has('shaho-shoyo')).toBe(true);
    });

    it('refuses a directory without definitions', () => {
      expect(() => ProcedureRegistry.load(__dirname)).toThrow(/no procedure definitions/);
    });
  });

  describe(findDefinitionsDir.name, () => {
    const repoDefinitions = path.resolve(__dirname, 'definitions');

    it('uses definitions/ beside the code', () => {
      expect(findDefinitionsDir(__dirname)).toBe(repoDefinitions);
    });

    it('walks up from the compiled output to the repository', () => {
      const repoRoot = path.resolve(__dirname, '../../..');
      expect(path.join(repoRoot, DEFINITIONS_RELATIVE_DIR)).toBe(repoDefinitions);
      const compiled = path.join(repoRoot, 'dist/apps/api/libs/procedures/src');
      expect(findDefinitionsDir(compiled)).toBe(repoDefinitions);
    });

    it('fails clearly when there is none', () => {
      expect(() => findDefinitionsDir('/nonexistent/place')).toThrow(ProcedureDefinitionError);
    });
  });

  describe('versions', () => {
    const sut = ProcedureRegistry.fromFiles([
      { fileName: 'demo.v2.json', text: minimal('demo', 2, '届（第2版）') },
      { fileName: 'demo.v1.json', text: minimal('demo', 1, '届（第1版）') },
      { fileName: 'other.v1.json', text: minimal('other', 1) },
    ]);

    it('lists the latest version of each procedure', () => {
      expect(sut.list().map((d) => `${d.code}.v${d.version}`)).toEqual(['demo.v2', 'other.v1']);
    });

    it('gets the latest version or the one asked for', () => {
      expect(sut.get('demo')?.version).toBe(2);
      expect(sut.get('demo', 1)?.name).toBe('届（第1版）');
      expect(sut.versions('demo').map((d) => d.version)).toEqual([1, 2]);
    });

    it('answers undefined for an unknown code or version', () => {
      expect(sut.get('nope')).toBeUndefined();
      expect(sut.get('demo', 3)).toBeUndefined();
      expect(sut.has('nope')).toBe(false);
      expect(sut.versions('nope')).toEqual([]);
    });
  });

  describe('fromFiles', () => {
    it.each([
      ['a file name without a version', [{ fileName: 'demo.json', text: minimal('demo', 1) }], /named <code>\.v<version>\.json/],
      [
        'a file name that disagrees with the content',
        [{ fileName: 'demo.v2.json', text: minimal('demo', 1) }],
        /contains demo v1, the file name says demo v2/,
      ],
      ['a code that disagrees with the file name', [{ fileName: 'demo.v1.json', text: minimal('other', 1) }], /contains other v1/],
      ['invalid JSON', [{ fileName: 'demo.v1.json', text: '{"code": ' }], /demo\.v1\.json: not valid JSON/],
      [
        'a broken definition, naming the file',
        [{ fileName: 'demo.v1.json', text: minimal('demo', 1).replace('"rules"', '"rulez"') }],
        /^demo\.v1\.json: unknown key "rulez"/,
      ],
    ])('refuses %s', (_what, files, message) => {
      expect(() => ProcedureRegistry.fromFiles(files)).toThrow(message);
    });

    it('refuses the same version twice', () => {
      const def = ProcedureRegistry.fromFiles([{ fileName: 'demo.v1.json', text: minimal('demo', 1) }]).get('demo')!;
      expect(() => ProcedureRegistry.fromDefinitions([def, def])).toThrow(/demo v1 is defined twice/);
    });
  });
});
