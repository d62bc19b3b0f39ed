import { describeSendError, requiresTls } from '../mail-transport';
import { bilingual, escapeHtml, MAIL_TEMPLATES, MailTemplateName, MailVars } from './index';

const ctx = { publicUrl: 'https://charlotte.example.jp' };
const render = (name: MailTemplateName, vars: MailVars, locale: 'ja' | 'en' = 'ja') => {
  const p = MAIL_TEMPLATES[name].render(vars, ctx);
  return bilingual(p.ja, p.en, locale);
};
const HOSTILE = `<img src=x onerror="alert('x')"> & 届`;

describe('mail templates', () => {
  it('escapes every var in the HTML of every template, and keeps it as written in the text', () => {
    const vars: Record<MailTemplateName, MailVars> = {
      filing_status: { kind: 'arrived', applicationId: HOSTILE, procedureName: HOSTILE, procedureNameEn: HOSTILE },
      draft_digest: { drafts: HOSTILE, oldestDays: HOSTILE },
      deletion_certificate: { certificateId: HOSTILE, tenantCode: HOSTILE, deletedOn: HOSTILE, sha256: HOSTILE },
      incident: { event: 'created', severity: 'serious', incidentId: HOSTILE, title: HOSTILE, text: HOSTILE, startedAt: HOSTILE },
      operator_alert: {
        event: 'opened',
        alertId: HOSTILE,
        cause: HOSTILE,
        kind: HOSTILE,
        kindJa: HOSTILE,
        summary: HOSTILE,
        occurrences: HOSTILE,
        openedAt: HOSTILE,
        resolvedAt: null,
      },
    };
    for (const name of Object.keys(MAIL_TEMPLATES) as MailTemplateName[]) {
      const m = render(name, vars[name]);
      expect(m.html).not.toContain('<img');
      expect(m.html).not.toContain('onerror="');
      expect(m.html).toContain(escapeHtml(HOSTILE));
      expect(m.text).toContain(HOSTILE);
    }
  });

  it('writes Japanese first and English second, subject "日本語 / English"; English first for locale en', () => {
    const ja = render('filing_status', {
      kind: 'correction_requested',
      applicationId: 'a1',
      procedureName: '算定基礎届',
      procedureNameEn: 'Santei',
    });
    expect(ja.subject).toBe('補正の依頼があります：算定基礎届 / A correction is requested: Santei');
    expect(ja.text.indexOf('補正の依頼がありました')).toBeLessThan(ja.text.indexOf('The agency asks for a correction'));
    expect(ja.text).toContain('https://charlotte.example.jp/applications/a1');
    const en = render(
      'filing_status',
      { kind: 'completed', applicationId: 'a1', procedureName: '算定基礎届', procedureNameEn: null },
      'en',
    );
    expect(en.subject).toBe('The procedure is complete: 算定基礎届 / 手続が終了しました：算定基礎届');
    expect(en.html.indexOf('lang="en"')).toBeLessThan(en.html.indexOf('<div lang="ja"'));
  });

  it('never lets a var break the subject line (header injection)', () => {
    const m = render('draft_digest', { drafts: '3\r\nBcc: someone@example.jp', oldestDays: 1 });
    expect(m.subject).not.toMatch(/[\r\n]/);
  });

  it('refuses a filing mail of an unknown kind rather than sending a wrong text', () => {
    expect(() => render('filing_status', { kind: 'nope', applicationId: 'a', procedureName: 'x' })).toThrow(/unknown kind/);
  });

  it('keeps addresses out of a send error (it is stored in last_error and logged)', () => {
    const e = describeSendError(
      Object.assign(new Error("Can't send mail - all recipients were rejected: 550 5.1.1 <taro.yamada@example.jp>: no such user"), {
        code: 'EENVELOPE',
        responseCode: 550,
      }),
    );
    expect(e.message).not.toContain('taro.yamada@example.jp');
    expect(e.message).toContain('550');
    expect(e.permanent).toBe(true);
    expect(describeSendError(Object.assign(new Error('try later'), { code: 'EMESSAGE', responseCode: 451 })).permanent).toBe(false);
  });

  it('requires STARTTLS when smtp:// carries credentials (smtps:// is TLS from the start; no credentials: a local relay)', () => {
    expect(requiresTls('smtp://user:secret@mail.example.jp:587')).toBe(true);
    expect(requiresTls('smtps://user:secret@mail.example.jp:465')).toBe(false);
    expect(requiresTls('smtp://127.0.0.1:2525')).toBe(false);
  });
});
