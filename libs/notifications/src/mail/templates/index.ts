import { deletionCertificateTemplate } from './deletion-certificate';
import { draftDigestTemplate } from './draft-digest';
import { filingStatusTemplate } from './filing-status';
import { incidentTemplate } from './incident';
import type { MailTemplate } from './layout';
import { operatorAlertTemplate } from './operator-alert';

/**
 * Every mail Charlotte sends, by name (the outbox stores the name and the vars; the text is made at
 * send time). A new mail is a file in this folder and a line here.
 */
export const MAIL_TEMPLATES = {
  filing_status: filingStatusTemplate,
  draft_digest: draftDigestTemplate,
  deletion_certificate: deletionCertificateTemplate,
  incident: incidentTemplate,
  operator_alert: operatorAlertTemplate,
} satisfies Record<string, MailTemplate>;

export type MailTemplateName = keyof typeof MAIL_TEMPLATES;

export const isMailTemplate = (name: string): name is MailTemplateName => Object.hasOwn(MAIL_TEMPLATES, name);

export * from './layout';
export { MAILED_NOTICE_KINDS } from './filing-status';
export { DELETION_CERTIFICATE_PDF } from './deletion-certificate';
