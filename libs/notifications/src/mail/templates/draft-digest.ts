import { link, MailTemplate, v } from './layout';

/** To an administrator: drafts not yet submitted in their tenant. Vars: drafts, oldestDays. */
export const draftDigestTemplate: MailTemplate = {
  render(vars, ctx) {
    const url = link(ctx, '/applications?status=draft');
    const settings = link(ctx, '/settings/notifications');
    const drafts = v(vars, 'drafts');
    const days = v(vars, 'oldestDays');
    return {
      ja: {
        subject: `未提出の下書きが ${drafts} 件あります`,
        paragraphs: [
          `まだ提出されていない申請の下書きが ${drafts} 件あります。最も古い下書きは ${days} 日前に作成されました。`,
          '提出期限が近い手続がないか、ご確認ください。',
          `このお知らせが不要な場合は、通知設定（${settings}）で停止できます。`,
        ],
        link: { label: '下書きの一覧を開く', url },
      },
      en: {
        subject: `${drafts} draft(s) not yet submitted`,
        paragraphs: [
          `There are ${drafts} draft application(s) not yet submitted. The oldest was created ${days} day(s) ago.`,
          'Please check whether any filing deadline is near.',
          `You can stop this daily mail in your notification settings (${settings}).`,
        ],
        link: { label: 'Open the list of drafts', url },
      },
    };
  },
};
