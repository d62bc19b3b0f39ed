import * as fs from 'node:fs';
import * as path from 'node:path';
import { egovMapping, parseEgovMapping } from './egov';
import { ProcedureDefinitionError } from './definition';
import { findDefinitionsDir, ProcedureRegistry } from './registry';

const registry = ProcedureRegistry.load();
const CODES = ['shaho-shutoku', 'shaho-soshitsu', 'shaho-shoyo', 'koyo-shutoku'];

describe('e-Gov mappings beside the definitions', () => {
  it.each(CODES)('%s has its real ids attached at load', (code) => {
    const m = egovMapping(registry.get(code)!);
    expect(m).toBeDefined();
    expect(m!.procId).toMatch(/^[0-9]{16}$/);
    expect(m!.formId).toMatch(/^[0-9]{18}$/);
    expect(m!.agencyId).toBe('100495');
    expect(m!.signature).toBe('optional-gbiz');
  });

  it('has the ids the public templates show', () => {
    const ids = Object.fromEntries(CODES.map((c) => [c, [egovMapping(registry.get(c)!)!.procId, egovMapping(registry.get(c)!)!.formId]]));
    expect(ids).toEqual({
      'shaho-shutoku': ['4950013521019000', '495013521019030837'],
      'shaho-soshitsu': ['4950013520714000', '495013520714030511'],
      'shaho-shoyo': ['4950013520733000', '495013520733030526'],
      'koyo-shutoku': ['4950008680033000', '495008680033800330'],
    });
  });

  const def = registry.get('shaho-shoyo')!;
  const file = path.join(findDefinitionsDir(), 'shaho-shoyo.v1.egov.json');
  const base = (): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

  it('parses its own mapping back', () => {
    expect(() => parseEgovMapping(base(), def)).not.toThrow();
  });

  it.each([
    ['a proc id of the wrong shape', (m: Record<string, unknown>) => (m.procId = '495001352073300')],
    ['an unknown key', (m: Record<string, unknown>) => (m.extra = 1)],
    ['an unknown signature policy', (m: Record<string, unknown>) => (m.signature = 'sometimes')],
    [
      'a value naming no field',
      (m: Record<string, unknown>) => (m.root as { children: unknown[] }).children.push({ el: 'x', value: { field: 'nope' } }),
    ],
    [
      'a date written without era',
      (m: Record<string, unknown>) => (m.root as { children: unknown[] }).children.push({ el: 'x', value: { field: 'birthDate' } }),
    ],
    ['a bad element name', (m: Record<string, unknown>) => (m.root as { children: unknown[] }).children.push({ el: '<x>' })],
    ['another procedure', (m: Record<string, unknown>) => (m.code = 'shaho-shutoku')],
  ])('refuses %s', (_what, patch) => {
    const m = base();
    delete m.unmapped;
    patch(m);
    expect(() => parseEgovMapping(m, def, 'x.egov.json')).toThrow(ProcedureDefinitionError);
  });

  it('refuses a mapping that leaves a field out without saying why', () => {
    const m = base();
    delete m.unmapped;
    const root = m.root as { children: { el: string }[] };
    root.children = root.children.filter((c) => c.el !== '備考x初回支払日');
    expect(() => parseEgovMapping(m, def, 'x.egov.json')).toThrow(/firstPaymentDay/);
  });

  it('refuses a mapping file without its definition', () => {
    expect(() =>
      ProcedureRegistry.fromFiles([
        { fileName: 'nothing.v1.egov.json', text: '{}' },
        { fileName: 'shaho-shoyo.v1.json', text: JSON.stringify({}) },
      ]),
    ).toThrow(ProcedureDefinitionError);
  });
});
