import type { JsonValue } from './canonical';

/**
 * Audit details must never carry personal data (names, e-mail addresses,
 * My Number, addresses, form contents, message bodies): the audit trail is
 * kept 5 years, exported to customers and read by support, so it must hold
 * ids and reason codes only. This guard refuses the known shapes by key name
 * and by value, and is unit-tested with each of them.
 */
const FORBIDDEN_KEYS = [
  'name',
  'displayname',
  'fullname',
  'kana',
  'email',
  'mail',
  'mynumber',
  'individualnumber',
  'kojinbangou',
  'basicpensionnumber',
  'address',
  'phone',
  'tel',
  'birthdate',
  'dateofbirth',
  'password',
  'passphrase',
  'token',
  'secret',
  'body',
  'form',
  'formdata',
  'content',
  'title',
  'filename',
];

const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/;
// 12 digits (個人番号), possibly grouped 4-4-4; 4+6 digits (基礎年金番号).
const MY_NUMBER = /(?<!\d)\d{4}[- ]?\d{4}[- ]?\d{4}(?!\d)/;
const PENSION_NUMBER = /(?<!\d)\d{4}-?\d{6}(?!\d)/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class PersonalDataInAuditError extends Error {
  constructor(readonly path: string) {
    super(`audit details must not carry personal data (at "${path}")`);
    this.name = 'PersonalDataInAuditError';
  }
}

function normalizeKey(k: string): string {
  return k.toLowerCase().replace(/[^a-z]/g, '');
}

export function assertNoPersonalData(value: JsonValue, path = 'details'): void {
  if (typeof value === 'string') {
    if (UUID.test(value)) return; // ids are what details should carry
    if (EMAIL.test(value) || MY_NUMBER.test(value) || PENSION_NUMBER.test(value)) throw new PersonalDataInAuditError(path);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoPersonalData(v, `${path}[${i}]`));
    return;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const nk = normalizeKey(k);
      if (FORBIDDEN_KEYS.some((f) => nk === f || nk.endsWith(f))) throw new PersonalDataInAuditError(`${path}.${k}`);
      assertNoPersonalData(v, `${path}.${k}`);
    }
  }
}
