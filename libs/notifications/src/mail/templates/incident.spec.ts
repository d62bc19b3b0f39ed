import { incidentTemplate } from './incident';
import { bilingual } from './layout';

const ctx = { publicUrl: 'https://charlotte.example.jp' };
const vars = {
  event: 'created',
  severity: 'serious',
  incidentId: '50000000-0000-4000-8000-000000000001',
  title: '送信障害 <b>緊急</b>',
  text: '1行目\n2行目 <script>alert(1)</script>',
  startedAt: '2026-12-03T00:30:00.000Z',
};

describe('incidentTemplate', () => {
  it('writes Japanese first, then English, with the start in JST and the link to the incident on the status page', () => {
    const p = incidentTemplate.render(vars, ctx);
    const mail = bilingual(p.ja, p.en);
    expect(mail.subject).toBe('【障害のお知らせ】送信障害 <b>緊急</b> / [Incident] 送信障害 <b>緊急</b>');
    expect(mail.text.indexOf('重要度：重大')).toBeLessThan(mail.text.indexOf('Severity: Serious'));
    expect(mail.text).toContain('発生日時：2026/12/03 09:30 JST');
    expect(mail.text).toContain('Started: 03 Dec 2026, 09:30 JST');
    expect(mail.text).toContain('1行目\n2行目');
    expect(mail.text).toContain('https://charlotte.example.jp/status#50000000-0000-4000-8000-000000000001');
  });

  it('escapes the operators’ text in HTML and keeps its line breaks', () => {
    const p = incidentTemplate.render(vars, ctx);
    const { html } = bilingual(p.ja, p.en);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>緊急</b>');
    expect(html).toContain('1行目<br>2行目 &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('words updates and the resolution, and flattens line breaks in the subject', () => {
    const upd = incidentTemplate.render({ ...vars, event: 'updated', title: 'a\r\nBcc: x' }, ctx);
    expect(upd.ja.subject).toBe('【障害のお知らせ・続報】a Bcc: x');
    const res = incidentTemplate.render({ ...vars, event: 'resolved' }, ctx);
    expect(res.ja.subject).toMatch(/^【復旧のお知らせ】/);
    expect(res.ja.paragraphs[1]).toContain('状況：復旧済み');
    expect(res.en.paragraphs[1]).toContain('State: Resolved');
    expect(() => incidentTemplate.render({ ...vars, event: 'other' }, ctx)).toThrow('unknown event');
  });
});
