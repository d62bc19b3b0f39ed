import { filingStatusTemplate } from './filing-status';
import type { MailTemplate } from './layout';
import { operatorAlertTemplate } from './operator-alert';

/**
 * Every mail Charlotte sends, by name (the outbox stores the name and the vars; the text is made at
 * send time). A new mail is a file in this folder and a line here.
 */
export const MAIL_TEMPLATES = {
  filing_status: filingStatusTemplate,
  operator_alert: operatorAlertTemplate,
} satisfies Record<string, MailTemplate>;

export type MailTemplateName = keyof typeof MAIL_TEMPLATES;

export const isMailTemplate = (name: string): name is MailTemplateName => Object.hasOwn(MAIL_TEMPLATES, name);

export * from './layout';
export { MAILED_NOTICE_KINDS } from './filing-status';
