import { link, MailTemplate, MailVars, v } from './layout';

type IncidentMailEvent = 'created' | 'updated' | 'resolved';

const EVENTS: Record<IncidentMailEvent, { jaTag: string; enTag: string; jaIntro: string; enIntro: string }> = {
  created: {
    jaTag: '障害のお知らせ',
    enTag: 'Incident',
    jaIntro: 'Charlotte で次の障害が発生しています。ご不便をおかけし、申し訳ございません。',
    enIntro: 'An incident is affecting Charlotte. We apologise for the inconvenience.',
  },
  updated: {
    jaTag: '障害のお知らせ・続報',
    enTag: 'Incident update',
    jaIntro: '発生中の障害について、続報をお知らせします。',
    enIntro: 'An update on the ongoing incident.',
  },
  resolved: {
    jaTag: '復旧のお知らせ',
    enTag: 'Resolved',
    jaIntro: '次の障害は復旧しました。ご不便をおかけし、申し訳ございませんでした。',
    enIntro: 'The following incident has been resolved. We apologise for the inconvenience.',
  },
};

const SEVERITY = { serious: { ja: '重大', en: 'Serious' }, minor: { ja: '軽微', en: 'Minor' } } as const;

/** An instant in Japan time, as the SPA shows it (JST always: no daylight saving time). */
function jst(iso: string, locale: 'ja' | 'en'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const f = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'ja-JP', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: locale === 'en' ? 'short' : '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return `${f.format(d)} JST`;
}

/**
 * The text written by the operators, line breaks kept (the layout escapes it for HTML and turns
 * breaks into <br>); at most 5000 characters, as the incidents accept.
 */
function operatorText(vars: MailVars): string {
  const x = vars.text;
  return x === null || x === undefined ? '—' : String(x).replace(/\r\n?/g, '\n').slice(0, 5000);
}

/**
 * To every administrator of the contracts a serious incident (運用からのお知らせ) affects, at its
 * creation, at each update and at its resolution: the title and text the operators wrote (no
 * personal data: the incidents refuse e-mail addresses in them), when it began, and the link to the
 * incident on the status page. Vars: event, severity, incidentId, title, text, startedAt.
 */
export const incidentTemplate: MailTemplate = {
  render(vars: MailVars, ctx) {
    const event = EVENTS[v(vars, 'event') as IncidentMailEvent];
    if (!event) throw new Error('incident: unknown event');
    const severity = SEVERITY[v(vars, 'severity') as keyof typeof SEVERITY] ?? SEVERITY.serious;
    const resolved = v(vars, 'event') === 'resolved';
    const title = v(vars, 'title');
    const startedAt = v(vars, 'startedAt');
    const url = link(ctx, `/status#${encodeURIComponent(v(vars, 'incidentId'))}`);
    const text = operatorText(vars);
    return {
      ja: {
        subject: `【${event.jaTag}】${title}`,
        paragraphs: [
          event.jaIntro,
          `件名：${title}\n重要度：${severity.ja}\n発生日時：${jst(startedAt, 'ja')}\n状況：${resolved ? '復旧済み' : '発生中'}`,
          text,
          'このメールは、ご契約の管理者の皆さまにお送りしています。最新の状況は Charlotte の「運用状況」でご確認いただけます。',
        ],
        link: { label: '運用状況を開く', url },
      },
      en: {
        subject: `[${event.enTag}] ${title}`,
        paragraphs: [
          event.enIntro,
          `Title: ${title}\nSeverity: ${severity.en}\nStarted: ${jst(startedAt, 'en')}\nState: ${resolved ? 'Resolved' : 'Ongoing'}`,
          text,
          'This message goes to the administrators of your contract. The latest state is on the “Service status” page in Charlotte.',
        ],
        link: { label: 'Open the service status', url },
      },
    };
  },
};
