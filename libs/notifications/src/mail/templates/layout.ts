/**
 * What every mail looks like: Japanese first, English second, in one message (subject
 * `日本語 / English`), plain text and HTML. Templates give plain-text paragraphs with their vars
 * already in; the HTML side escapes every paragraph and link, so a var can never become markup.
 */

export type MailVars = Record<string, string | number | null>;
export type MailLocale = 'ja' | 'en';

export interface MailContext {
  /** PUBLIC_URL without a trailing slash: every link in a mail starts with it. */
  publicUrl: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** One language's half of a mail. */
export interface MailPart {
  subject: string;
  paragraphs: string[];
  link?: { label: string; url: string };
}

export interface MailTemplate {
  render(vars: MailVars, ctx: MailContext): { ja: MailPart; en: MailPart };
  /** A file produced at send time by the renderer registered under this id (see MailAttachmentRegistry). */
  attachment?: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** A var as text: null becomes "—"; line breaks are flattened (a var never starts a header or a paragraph). */
export function v(vars: MailVars, name: string): string {
  const x = vars[name];
  return x === null || x === undefined ? '—' : String(x).replace(/[\r\n]+/g, ' ');
}

/** A link under PUBLIC_URL to `path` (segments given already encoded where they come from vars). */
export function link(ctx: MailContext, path: string): string {
  return `${ctx.publicUrl}${path}`;
}

const FOOTER: MailPart = {
  subject: '',
  paragraphs: ['このメールは Charlotte から自動送信されています。返信いただいてもお答えできません。'],
};
const FOOTER_EN: MailPart = { subject: '', paragraphs: ['This message was sent automatically by Charlotte; replies are not read.'] };

function textPart(p: MailPart): string {
  const lines = [...p.paragraphs];
  if (p.link) lines.push(`${p.link.label}: ${p.link.url}`);
  return lines.join('\n\n');
}

function htmlPart(p: MailPart, lang: MailLocale): string {
  const paras = p.paragraphs.map((x) => `<p>${escapeHtml(x).replace(/\n/g, '<br>')}</p>`);
  if (p.link) paras.push(`<p><a href="${escapeHtml(p.link.url)}">${escapeHtml(p.link.label)}</a></p>`);
  return `<div lang="${lang}">\n${paras.join('\n')}\n</div>`;
}

/** The whole message in both languages; `locale` decides which comes first (Japanese by default). */
export function bilingual(ja: MailPart, en: MailPart, locale: MailLocale = 'ja'): RenderedMail {
  const order: Array<[MailPart, MailPart, MailLocale]> = [
    [ja, FOOTER, 'ja'],
    [en, FOOTER_EN, 'en'],
  ];
  if (locale === 'en') order.reverse();
  const subject = order
    .map(([p]) => p.subject)
    .join(' / ')
    .replace(/[\r\n]+/g, ' ');
  const text = order.map(([p, f]) => `${textPart(p)}\n\n${textPart(f)}`).join('\n\n----------------------------------------\n\n');
  const html = [
    '<!DOCTYPE html>',
    `<html lang="${order[0][2]}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.6;">',
    order.map(([p, f, lang]) => `${htmlPart(p, lang)}\n${htmlPart(f, lang)}`).join('\n<hr>\n'),
    '</body></html>',
  ].join('\n');
  return { subject, text: `${text}\n`, html };
}
