import { EgovPackageError } from './errors';
import {
  DEFAULT_SUBMIT_TO,
  EGOV_PROCEDURES,
  egovMappingFor,
  egovProcedure,
  isPlaceholderProcId,
  PLACEHOLDER_PROC_ID_PREFIX,
  resolveProcId,
  resolveSubmitTo,
} from './procedure-ids';
import { definition, registry } from './test-helpers';

describe(egovProcedure.name, () => {
  it('maps every procedure of the registry, and nothing else', () => {
    expect(Object.keys(EGOV_PROCEDURES).sort()).toEqual(registry.list().map((d) => d.code));
  });

  it('has the real 16-digit proc ids, the same as the mappings beside the definitions', () => {
    const ids = Object.values(EGOV_PROCEDURES).map((p) => p.procId);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9]{16}$/);
      expect(isPlaceholderProcId(id)).toBe(false);
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const [code, info] of Object.entries(EGOV_PROCEDURES)) expect(egovMappingFor(definition(code)).procId).toBe(info.procId);
    expect(isPlaceholderProcId(`${PLACEHOLDER_PROC_ID_PREFIX}000000000001`)).toBe(true);
  });

  it('refuses a definition loaded without its e-Gov mapping', () => {
    const bare = { ...definition('shaho-shutoku') };
    expect(() => egovMappingFor(bare)).toThrow(expect.objectContaining({ code: 'egov_package_unknown_procedure' }));
  });

  it('puts shaho-* with 日本年金機構 and koyo-* with 公共職業安定所', () => {
    expect(resolveSubmitTo({ procedure: definition('shaho-shutoku') })).toEqual({ name: '日本年金機構' });
    expect(resolveSubmitTo({ procedure: definition('shaho-shoyo') })).toBe(DEFAULT_SUBMIT_TO.shaho);
    expect(resolveSubmitTo({ procedure: definition('koyo-shutoku') })).toEqual({ name: '公共職業安定所' });
    expect(resolveSubmitTo({ procedure: definition('koyo-shutoku'), submitTo: { name: '飯田橋公共職業安定所' } })).toEqual({
      name: '飯田橋公共職業安定所',
    });
  });

  it.each(['rosai-kyufu', '__proto__', 'toString'])('refuses the unmapped code %j', (code) => {
    expect(() => egovProcedure(code)).toThrow(expect.objectContaining({ code: 'egov_package_unknown_procedure' }));
  });
});

describe(resolveProcId.name, () => {
  it('takes the mapping by default and a well-formed override when given', () => {
    expect(resolveProcId({ procedure: definition('koyo-shutoku') })).toBe(EGOV_PROCEDURES['koyo-shutoku'].procId);
    expect(resolveProcId({ procedure: definition('koyo-shutoku'), procId: '950A010000000000' })).toBe('950A010000000000');
  });

  it.each(['950A01', '950a010000000000', '950A010000000000</手続番号>', ''])('refuses the override %j', (procId) => {
    expect(() => resolveProcId({ procedure: definition('shaho-shutoku'), procId })).toThrow(EgovPackageError);
  });
});
