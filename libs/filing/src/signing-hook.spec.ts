import { signaturePolicyOf } from './signing-hook';
import { procNameOf } from './submissions.service';

describe(signaturePolicyOf.name, () => {
  it('reads the policy a procedure mapping declares', () => {
    expect(signaturePolicyOf({ procId: '4950013521019000', signature: 'required' })).toBe('required');
    expect(signaturePolicyOf({ signature: 'none' })).toBe('none');
  });
  it('falls back to "optional with GビズID" when nothing (or nonsense) is declared', () => {
    expect(signaturePolicyOf(undefined)).toBe('optional_gbizid');
    expect(signaturePolicyOf({ signature: 'always' })).toBe('optional_gbizid');
  });
});

describe(procNameOf.name, () => {
  it("uses the definition's name when the package lib gives no 手続名称", () => {
    expect(procNameOf('no-such-procedure', '健康保険・厚生年金保険被保険者資格取得届')).toBe('健康保険・厚生年金保険被保険者資格取得届');
  });
});
