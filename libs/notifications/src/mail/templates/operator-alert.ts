import { link, MailTemplate, MailVars, v } from './layout';

/**
 * To OPERATOR_ALERT_EMAIL when an operator alert opens or resolves (libs/notifications/src/alerts).
 * Vars: event (opened | resolved), alertId, cause, kind, kindJa, summary, occurrences, openedAt,
 * resolvedAt. All fixed texts, ids and counts: an alert never carries personal data or tenant
 * content, so neither does its mail.
 */
export const operatorAlertTemplate: MailTemplate = {
  render(vars: MailVars, ctx) {
    const opened = v(vars, 'event') === 'opened';
    const url = link(ctx, `/operator/alerts`);
    const kindJa = v(vars, 'kindJa');
    const cause = v(vars, 'cause');
    return {
      ja: {
        subject: opened ? `【監視アラート】${kindJa}（${cause}）` : `【復旧】${kindJa}（${cause}）`,
        paragraphs: [
          opened ? '監視アラートが発生しました。運用コンソールで状況を確認してください。' : '監視アラートが解消しました。',
          [
            `種別：${kindJa}`,
            `原因キー：${cause}`,
            `発生日時（UTC）：${v(vars, 'openedAt')}`,
            ...(opened ? [] : [`解消日時（UTC）：${v(vars, 'resolvedAt')}`, `検知回数：${v(vars, 'occurrences')}`]),
            `アラートID：${v(vars, 'alertId')}`,
          ].join('\n'),
        ],
        link: { label: '監視アラートを開く', url },
      },
      en: {
        subject: opened ? `[Alert] ${v(vars, 'kind')} (${cause})` : `[Resolved] ${v(vars, 'kind')} (${cause})`,
        paragraphs: [
          opened ? `An operator alert opened: ${v(vars, 'summary')}` : `An operator alert resolved: ${v(vars, 'summary')}`,
          [
            `Kind: ${v(vars, 'kind')}`,
            `Cause: ${cause}`,
            `Opened (UTC): ${v(vars, 'openedAt')}`,
            ...(opened ? [] : [`Resolved (UTC): ${v(vars, 'resolvedAt')}`, `Occurrences: ${v(vars, 'occurrences')}`]),
            `Alert id: ${v(vars, 'alertId')}`,
          ].join('\n'),
        ],
        link: { label: 'Open the operator alerts', url },
      },
    };
  },
};
