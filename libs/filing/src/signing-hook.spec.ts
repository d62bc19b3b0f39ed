import { ProcedureRegistry } from '@charlotte/procedures';
import { procNameOf, signaturePolicyOf } from './signing-hook';

describe(signaturePolicyOf.name, () => {
  it('reads the policy a procedure mapping declares', () => {
    expect(signaturePolicyOf({ procName: '手続', signature: 'required' })).toBe('required');
    expect(signaturePolicyOf({ signature: 'none' })).toBe('none');
  });
  it('falls back to "optional with GビズID" when nothing (or nonsense) is declared', () => {
    expect(signaturePolicyOf(undefined)).toBe('optional-gbiz');
    expect(signaturePolicyOf({ signature: 'always' })).toBe('optional-gbiz');
  });
});

describe(procNameOf.name, () => {
  it("uses the mapping's 手続名称, else the definition's name", () => {
    const def = ProcedureRegistry.load().get('shaho-shutoku')!;
    expect(procNameOf(def).length).toBeGreaterThan(0);
    expect(procNameOf({ ...def })).toBe(def.name); // a copy has no attached mapping
  });
});
