import { DomainError } from '@charlotte/core';
import { failureReason, INTERNAL_FAILURE_REASON } from './durable-job';
import { EgovError } from './egov-client';
import { EgovPackageError } from './package/errors';

describe(failureReason.name, () => {
  it('keeps e-Gov wording and our fixed texts for the user', () => {
    expect(failureReason(new EgovError('permanent', 'この申請は取り下げられません', 400))).toBe('この申請は取り下げられません');
    expect(failureReason(new DomainError(409, 'egov_not_linked', 'Not linked', 'Link the account first.'))).toBe(
      'egov_not_linked: Link the account first.',
    );
  });

  it('never stores or shows internal error text (SQL, paths, input) — security review finding 10', () => {
    for (const e of [
      new Error('duplicate key value violates unique constraint "submissions_application_key"'),
      Object.assign(new Error("ENOENT: no such file or directory, open '/srv/charlotte/data/blobs/t/abc'"), { code: 'ENOENT' }),
      new TypeError("Cannot read properties of undefined (reading 'name')"),
      'a thrown string',
    ]) {
      expect(failureReason(e)).toBe(INTERNAL_FAILURE_REASON);
    }
    const pkg = failureReason(new EgovPackageError('egov_package_invalid_form', 'form.name: 山田 太郎 is too long', 'form.name'));
    expect(pkg).toMatch(/^egov_package_invalid_form: /);
    expect(pkg).not.toContain('山田');
  });
});
