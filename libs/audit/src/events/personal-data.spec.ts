import { assertNoPersonalData, PersonalDataInAuditError } from './personal-data';

describe(assertNoPersonalData.name, () => {
  it.each([
    ['a display name', { displayName: '山田 太郎' }],
    ['a name', { name: 'Taro' }],
    ['a kana name', { nameKana: 'ヤマダ タロウ' }],
    ['an e-mail field', { email: 'x' }],
    ['an e-mail value under any key', { reason: 'taro@example.co.jp' }],
    ['a My Number field', { myNumber: '1' }],
    ['a My Number value', { ref: '1234 5678 9012' }],
    ['a My Number value without spaces', { ref: '123456789012' }],
    ['a basic pension number value', { ref: '1234-567890' }],
    ['an address', { address: '東京都千代田区' }],
    ['form contents', { formData: { a: 1 } }],
    ['a mail body', { body: 'こんにちは' }],
    ['a password', { password: 'x' }],
    ['nested personal data', { changes: [{ field: 'x', newEmail: 'a' }] }],
    ['an attachment file name', { fileName: '履歴書.pdf' }],
  ])('refuses %s', (_what, details) => {
    expect(() => assertNoPersonalData(details as never)).toThrow(PersonalDataInAuditError);
  });

  it.each([
    ['ids and reason codes', { reason: 'invalid_password', userId: '3f2c1a9e-1234-4abc-8def-123456789012', step: 'password' }],
    ['counts and flags', { failures: 10, lockMinutes: 15, changes: ['role', 'status'], role: 'admin' }],
    ['a route pattern', { route: '/api/v1/users/:id', method: 'PATCH' }],
  ])('lets %s through', (_what, details) => {
    expect(() => assertNoPersonalData(details as never)).not.toThrow();
  });
});
