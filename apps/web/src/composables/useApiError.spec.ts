import { describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { mount } from '@vue/test-utils';
import { ApiError, type FieldError } from '@/api/client';
import { createAppI18n, type AppLocale } from '@/i18n';
import ja from '@/i18n/ja';
import { collectFieldErrors, translateFieldError, useApiError, type FieldErrorI18n } from './useApiError';

function translatorFor(locale: AppLocale): FieldErrorI18n {
  const i18n = createAppI18n(locale);
  const g = i18n.global;
  return { t: (key, params) => g.t(key, params ?? {}), te: (key) => g.te(key), locale };
}

const ASCII_WORDS = /[A-Za-z]{3,}/;

describe('translateFieldError', () => {
  const ja_ = translatorFor('ja');
  const en = translatorFor('en');

  it('reads a DTO rule in Japanese by its code and parameters, not the English message', () => {
    const issue: FieldError = {
      field: 'title',
      code: 'too_short',
      params: { min: 1 },
      message: 'title must be longer than or equal to 1 characters',
    };
    expect(translateFieldError(issue, ja_)).toBe('1文字以上で入力してください。');
    expect(translateFieldError(issue, en)).toBe('Enter at least 1 characters.');
  });

  it('words the custom rules (https URL, procedure code, too few certificates)', () => {
    expect(translateFieldError({ field: 'ssoUrl', code: 'https_url', message: 'ssoUrl must be an https URL' }, ja_)).toBe(
      'https:// で始まるURLを入力してください。',
    );
    expect(
      translateFieldError({ field: 'procedureCode', code: 'procedure_code', message: 'procedureCode must be a procedure code' }, ja_),
    ).toBe('手続を一覧から選んでください。');
    expect(
      translateFieldError(
        { field: 'certificates', code: 'too_few_items', params: { min: 1 }, message: 'certificates must contain at least 1 elements' },
        ja_,
      ),
    ).toBe('1件以上指定してください。');
  });

  it('shows a date parameter as a JST date', () => {
    const issue: FieldError = {
      field: 'certificates[0]',
      code: 'certificate_expired',
      params: { date: '2024-03-31T15:00:00.000Z' },
      message: 'expired on 2024-03-31T15:00:00.000Z',
    };
    expect(translateFieldError(issue, ja_)).toBe('この証明書は有効期限が切れています（有効期限: 2024/04/01）。');
  });

  it('keeps the two texts of a procedure form error (Japanese message, English messageEn)', () => {
    const issue: FieldError = {
      field: 'form.birthDate',
      code: 'invalid_date',
      message: '生年月日は正しい日付ではありません。',
      messageEn: 'Birth date is not a date.',
    };
    expect(translateFieldError(issue, ja_)).toBe('生年月日は正しい日付ではありません。');
    expect(translateFieldError(issue, en)).toBe('Birth date is not a date.');
  });

  it('never shows the English sentence in Japanese for an unknown or missing code', () => {
    for (const issue of [
      { field: 'x', code: 'brand_new_rule', message: 'x must be shiny' },
      { field: 'x', message: 'x must be shiny' },
      { field: 'x', code: 'errors.generic', message: 'x must be shiny' },
    ] as FieldError[]) {
      expect(translateFieldError(issue, ja_)).toBe('入力内容を確認してください。');
      expect(translateFieldError(issue, en)).toBe('x must be shiny');
    }
  });

  it('has Japanese without English words for every code (but the few product names)', () => {
    const allowed = /\{\w+\}|e-Gov|https|URL|IdP|PIN|PKCS|XML|X\.509|PEM|DOCTYPE|ID|p12|pfx/g;
    const english = Object.entries(ja.validation).filter(([, text]) => ASCII_WORDS.test(text.replace(allowed, '')));
    expect(english).toEqual([]);
  });
});

describe('collectFieldErrors', () => {
  it('groups translated errors by field name, once each', () => {
    const error = new ApiError(400, {
      code: 'validation_failed',
      errors: [
        { field: 'attributeMapping.email', code: 'too_long', params: { max: 300 }, message: 'email must be shorter' },
        { field: 'ssoUrl', code: 'https_url', message: 'ssoUrl must be an https URL' },
        { field: 'ssoUrl', code: 'https_url', message: 'ssoUrl must be an https URL' },
      ],
    });
    expect(collectFieldErrors(error, translatorFor('ja'))).toEqual({
      email: '300文字以内で入力してください。',
      ssoUrl: 'https:// で始まるURLを入力してください。',
    });
    expect(collectFieldErrors(new Error('boom'), translatorFor('ja'))).toEqual({});
  });
});

describe('useApiError', () => {
  it('follows the locale the user switches to', async () => {
    const i18n = createAppI18n('ja');
    let api!: ReturnType<typeof useApiError>;
    mount(
      defineComponent({
        setup() {
          api = useApiError();
          return () => h('div');
        },
      }),
      { global: { plugins: [i18n] } },
    );
    const error = new ApiError(400, {
      code: 'validation_failed',
      errors: [{ field: 'title', code: 'too_long', params: { max: 200 }, message: 'title must be shorter' }],
    });
    expect(api.fieldErrorsOf(error)).toEqual({ title: '200文字以内で入力してください。' });
    i18n.global.locale.value = 'en';
    expect(api.fieldErrorsOf(error)).toEqual({ title: 'Enter at most 200 characters.' });
  });
});
