import { link, MailTemplate, MailVars, v } from './layout';

/** What happened to the application, by notice kind (the same kinds as the お知らせ). */
const STATUS: Record<string, { ja: string; en: string; jaBody: string; enBody: string }> = {
  arrived: {
    ja: '申請が到達しました',
    en: 'Your application has arrived',
    jaBody: '申請が e-Gov に到達しました。審査の結果は、追ってお知らせします。',
    enBody: 'Your application has reached e-Gov. We will let you know when it has been reviewed.',
  },
  correction_requested: {
    ja: '補正の依頼があります',
    en: 'A correction is requested',
    jaBody: '行政機関から補正の依頼がありました。Charlotte で補正の内容をご確認のうえ、期限までに対応してください。',
    enBody: 'The agency asks for a correction. Please read the notice in Charlotte and respond before the deadline.',
  },
  completed: {
    ja: '手続が終了しました',
    en: 'The procedure is complete',
    jaBody: '申請の手続が終了しました。公文書が発行されている場合は、Charlotte からダウンロードできます。',
    enBody: 'The procedure is complete. Any official documents issued can be downloaded in Charlotte.',
  },
  document_received: {
    ja: '公文書が発行されました',
    en: 'An official document was issued',
    jaBody: '申請について公文書が発行されました。Charlotte からダウンロードできます。',
    enBody: 'An official document was issued for your application. You can download it in Charlotte.',
  },
  failed: {
    ja: '申請を送信できませんでした',
    en: 'Your application could not be sent',
    jaBody: '申請を e-Gov に送信できませんでした。Charlotte で理由をご確認のうえ、再度申請してください。',
    enBody: 'Your application could not be sent to e-Gov. Please check the reason in Charlotte and submit it again.',
  },
  amend_failed: {
    ja: '補正を送信できませんでした',
    en: 'Your correction could not be sent',
    jaBody: '補正を e-Gov に送信できませんでした。Charlotte で理由をご確認ください。',
    enBody: 'Your correction could not be sent to e-Gov. Please check the reason in Charlotte.',
  },
  withdraw_failed: {
    ja: '取下げを送信できませんでした',
    en: 'Your withdrawal could not be sent',
    jaBody: '取下げを e-Gov に送信できませんでした。Charlotte で理由をご確認ください。',
    enBody: 'Your withdrawal could not be sent to e-Gov. Please check the reason in Charlotte.',
  },
};

/** The notice kinds that are mailed to the filing user (the others are お知らせ only). */
export const MAILED_NOTICE_KINDS: readonly string[] = Object.keys(STATUS);

/**
 * To the user who filed: the procedure (its name, from the procedure catalogue; never the insured
 * person or form content), what happened, and the link to the application.
 * Vars: kind, applicationId, procedureName, procedureNameEn (optional; the Japanese name otherwise).
 */
export const filingStatusTemplate: MailTemplate = {
  render(vars: MailVars, ctx) {
    const s = STATUS[v(vars, 'kind')];
    if (!s) throw new Error(`filing_status: unknown kind`);
    const url = link(ctx, `/applications/${encodeURIComponent(v(vars, 'applicationId'))}`);
    const settings = link(ctx, '/settings/notifications');
    const proc = v(vars, 'procedureName');
    const procEn = vars.procedureNameEn ? v(vars, 'procedureNameEn') : proc;
    return {
      ja: {
        subject: `${s.ja}：${proc}`,
        paragraphs: [s.jaBody, `手続：${proc}\n状況：${s.ja}`, `このメールが不要な場合は、通知設定（${settings}）で停止できます。`],
        link: { label: '申請を開く', url },
      },
      en: {
        subject: `${s.en}: ${procEn}`,
        paragraphs: [
          s.enBody,
          `Procedure: ${procEn}\nStatus: ${s.en}`,
          `You can stop these mails in your notification settings (${settings}).`,
        ],
        link: { label: 'Open the application', url },
      },
    };
  },
};
