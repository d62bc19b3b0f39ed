// Fixtures for the offices and applications specs (not shipped).
import type { ApplicationDetail, Office, Procedure, ProcedureSchema } from '@/api/client';

export const OFFICE: Office = {
  id: '30000000-0000-4000-8000-000000000001',
  clientId: null,
  name: '株式会社アクメ 本社',
  address: '東京都千代田区丸の内1-1-1',
  pensionOfficeCode: '01-イロハ',
  pensionOfficeNumber: '12345',
  employmentOfficeNumber: '13015678901',
  laborInsuranceNumber: '13101123456000',
  version: 1,
  createdAt: '2026-04-01T00:00:00.000Z',
  updatedAt: '2026-04-01T00:00:00.000Z',
};

export const OFFICE_2: Office = {
  ...OFFICE,
  id: '30000000-0000-4000-8000-000000000002',
  name: '株式会社アクメ 大阪支店',
  address: null,
  pensionOfficeCode: null,
  pensionOfficeNumber: null,
  employmentOfficeNumber: null,
  laborInsuranceNumber: null,
};

/**
 * A realistic slice of 健康保険・厚生年金保険 被保険者資格取得届 as GET /procedures
 * serves it. Properties are deliberately not in display order: the editor
 * must sort by `x-order` within the sections of `x-sections`.
 */
export const SHAHO_SHUTOKU_SCHEMA: ProcedureSchema = {
  type: 'object',
  'x-sections': [
    { id: 'insured', title: '被保険者', titleEn: 'Insured person' },
    { id: 'acquisition', title: '資格取得', titleEn: 'Acquisition' },
    { id: 'address', title: '住所', titleEn: 'Address' },
  ],
  properties: {
    gender: {
      type: 'string',
      title: '種別',
      description: '被保険者の種別を選択してください。',
      'x-title-en': 'Type',
      enum: ['1', '2', '3'],
      'x-codes': [
        { value: '1', label: '男', labelEn: 'Male' },
        { value: '2', label: '女', labelEn: 'Female' },
        { value: '3', label: '坑内員', labelEn: 'Mine worker' },
      ],
      'x-section': 'insured',
      'x-order': 40,
    },
    nameKana: {
      type: 'string',
      title: '氏名（カナ）',
      description: '全角カタカナで入力し、姓と名の間に全角スペースを入れてください。',
      'x-title-en': 'Name (katakana)',
      'x-description-en': 'Full-width katakana, with a full-width space between family and given name.',
      pattern: '^[\\u30A1-\\u30F6\\u30FC\\u3000]+$',
      maxLength: 25,
      'x-section': 'insured',
      'x-order': 10,
    },
    birthDate: {
      type: 'string',
      format: 'date',
      title: '生年月日',
      description: '西暦で入力してください。和暦も表示されます。',
      'x-era-date': true,
      'x-section': 'insured',
      'x-order': 30,
    },
    nameKanji: {
      type: 'string',
      title: '氏名（漢字）',
      description: '住民票に記載の氏名を全角で入力してください。',
      maxLength: 25,
      'x-section': 'insured',
      'x-order': 20,
    },
    myNumber: {
      type: 'string',
      title: '個人番号',
      description: '12桁の個人番号（マイナンバー）です。基礎年金番号を記入する場合は不要です。',
      pattern: '^[0-9]{12}$',
      'x-sensitive': true,
      'x-section': 'insured',
      'x-order': 50,
    },
    basicPensionNumber: {
      type: 'string',
      title: '基礎年金番号',
      description: '個人番号を記入しない場合に、4桁-6桁で入力してください。',
      pattern: '^[0-9]{4}-?[0-9]{6}$',
      'x-required-if': { not: { field: 'myNumber', present: true } },
      'x-section': 'insured',
      'x-order': 60,
    },
    acquisitionDate: {
      type: 'string',
      format: 'date',
      title: '資格取得年月日',
      description: '入社日など、被保険者の資格を取得した日です。',
      'x-era-date': true,
      'x-section': 'acquisition',
      'x-order': 10,
    },
    monthlyPayCurrency: {
      type: 'integer',
      title: '報酬月額（通貨）',
      description: '通貨で支払われる報酬の月額（円）です。',
      minimum: 0,
      maximum: 99999999,
      'x-section': 'acquisition',
      'x-order': 20,
    },
    over70: {
      type: 'boolean',
      title: '70歳以上被用者該当',
      description: '70歳以上の被用者に該当する場合にチェックしてください。',
      'x-section': 'acquisition',
      'x-order': 30,
    },
    address: {
      type: 'string',
      title: '住所',
      description: '個人番号を記入しない場合に、住民票の住所を入力してください。',
      maxLength: 75,
      'x-required-if': { all: [{ not: { field: 'myNumber', present: true } }, { any: [{ field: 'gender', in: ['1', '2', '3'] }] }] },
      'x-section': 'address',
      'x-order': 20,
    },
    postalCode: {
      type: 'string',
      title: '郵便番号',
      description: '7桁の郵便番号です。',
      pattern: '^[0-9]{3}-?[0-9]{4}$',
      'x-section': 'address',
      'x-order': 10,
    },
  },
  required: ['nameKana', 'birthDate', 'gender', 'acquisitionDate'],
  'x-due-rule': '事実発生から5日以内',
  'x-due-rule-en': 'Within 5 days of the event',
  'x-rules': [
    {
      kind: 'oneOf',
      fields: ['myNumber', 'basicPensionNumber'],
      message: '個人番号と基礎年金番号は、どちらか一方を記入してください。',
      messageEn: 'Enter either the My Number or the basic pension number.',
    },
  ],
};

export const SHAHO_SHUTOKU: Procedure = {
  code: 'shaho-shutoku',
  name: '健康保険・厚生年金保険 被保険者資格取得届',
  nameEn: 'Health and pension insurance: notification of acquisition',
  version: 1,
  dueRule: '事実発生から5日以内',
  schema: SHAHO_SHUTOKU_SCHEMA,
};

export const KOYO_SHUTOKU: Procedure = {
  code: 'koyo-shutoku',
  name: '雇用保険 被保険者資格取得届',
  version: 1,
  schema: { type: 'object', 'x-sections': [], properties: {}, required: [] },
};

export const APP_ID = '40000000-0000-4000-8000-000000000001';

export function makeApplication(overrides: Partial<ApplicationDetail> = {}): ApplicationDetail {
  return {
    id: APP_ID,
    title: '山田太郎 資格取得届',
    procedureCode: 'shaho-shutoku',
    procedureVersion: 1,
    officeId: OFFICE.id,
    clientId: null,
    clientName: null,
    status: 'draft',
    version: 3,
    createdAt: '2026-04-01T00:00:00.000Z',
    updatedAt: '2026-04-01T01:00:00.000Z',
    dueDate: '2026-04-06',
    overdue: false,
    form: { nameKana: 'ヤマダ　タロウ', birthDate: '1990-04-01', gender: '1', myNumber: '123456789018' },
    masked: false,
    fieldErrors: [],
    timeline: [
      {
        at: '2026-04-01T00:00:00.000Z',
        kind: 'created',
        fromStatus: null,
        toStatus: 'draft',
        actor: 'user:00000000-0000-4000-8000-000000000001',
        details: {},
      },
    ],
    attachments: [],
    arriveId: null,
    egovStatus: null,
    failureReason: null,
    egovNotices: [],
    lastAction: null,
    ...overrides,
  };
}
