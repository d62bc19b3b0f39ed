import { EgovPackageError } from './errors';
import {
  DEFAULT_SUBMIT_TO,
  EGOV_PROCEDURES,
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

  it('has 16-character, unique, clearly placeholder proc ids', () => {
    const ids = Object.values(EGOV_PROCEDURES).map((p) => p.procId);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9A-Z]{16}$/);
      expect(id.startsWith(PLACEHOLDER_PROC_ID_PREFIX)).toBe(true);
      expect(isPlaceholderProcId(id)).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(isPlaceholderProcId('950A010000000000')).toBe(false);
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
