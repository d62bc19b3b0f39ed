import ja from '../../../../apps/web/src/i18n/ja';
import { operatorAlertTemplate } from '../mail/templates/operator-alert';
import { ALERT_KIND_LABELS_JA, ALERT_KINDS, ALERT_SUMMARIES, CUSTOMER_IMPACT_KINDS, INCIDENT_WORDING } from './alert-kinds';
import { incidentWording } from './alert-incidents';
import { errorClass, runCheck } from './alert-monitor.job';
import { auditCause } from './alerts.service';

describe(runCheck.name, () => {
  it('passes an up check and names only the error class of a down one, never its message', async () => {
    expect(await runCheck(async () => ({ scanner: { status: 'up' } }))).toBeUndefined();
    expect(await runCheck(async () => ({ scanner: { status: 'down', message: 'connect ECONNREFUSED /tmp/secret-dir/clamd.sock' } }))).toBe(
      'ECONNREFUSED',
    );
    expect(await runCheck(async () => ({ keys: { status: 'down', message: 'KeyUnavailableError' } }))).toBe('KeyUnavailableError');
    expect(await runCheck(async () => ({ blobs: { status: 'down', message: 'disk at /srv/x is full' } }))).toBe('down');
  });

  it('counts a throwing check and a check that does not answer in time as failing', async () => {
    expect(
      await runCheck(async () => {
        throw new Error('getaddrinfo ENOTFOUND s3.internal');
      }),
    ).toBe('ENOTFOUND');
    expect(await runCheck(() => new Promise(() => undefined), 20)).toBe('timeout');
  });
});

describe(errorClass.name, () => {
  it('keeps errno codes and error class names, nothing else', () => {
    expect(errorClass('read ECONNRESET')).toBe('ECONNRESET');
    expect(errorClass('S3ServiceError: AccessDenied for bucket acme-1')).toBe('S3ServiceError');
    expect(errorClass('user taro@example.jp not found')).toBe('down');
    expect(errorClass(undefined)).toBe('down');
  });
});

describe(auditCause.name, () => {
  it('splits a trailing id off the cause so that the audit trail gets it as an id', () => {
    expect(auditCause({ cause: 'health:scanner', kind: 'scanner_down' })).toEqual({ cause: 'health:scanner', kind: 'scanner_down' });
    expect(auditCause({ cause: 'backup.failed:12345678-1234-4234-8234-123456789012', kind: 'backup_failed' })).toEqual({
      cause: 'backup.failed',
      subjectId: '12345678-1234-4234-8234-123456789012',
      kind: 'backup_failed',
    });
  });
});

describe('alert kinds', () => {
  it('have a summary and a Japanese label each, and fixed ja/en incident wording for every kind customers feel', () => {
    for (const kind of ALERT_KINDS) {
      expect(ALERT_SUMMARIES[kind]).toBeTruthy();
      expect(ALERT_KIND_LABELS_JA[kind]).toBeTruthy();
    }
    for (const kind of CUSTOMER_IMPACT_KINDS) {
      const w = INCIDENT_WORDING[kind]!;
      expect(w.ja.title && w.ja.body && w.en.title && w.en.body).toBeTruthy();
      expect(incidentWording(kind).title).toBe(`${w.ja.title} / ${w.en.title}`);
    }
    // A kind without its own wording (promoted by hand) still gets a fixed, generic text.
    expect(incidentWording('disk_low').title).toBe(incidentWording('database').title);
  });
});

describe('operator_alert mail', () => {
  const vars = {
    event: 'opened',
    alertId: '12345678-1234-4234-8234-123456789012',
    cause: 'health:scanner',
    kind: 'scanner_down',
    kindJa: 'ウイルススキャナー停止',
    summary: ALERT_SUMMARIES.scanner_down,
    occurrences: 1,
    openedAt: '2026-12-03T01:00:00.000Z',
    resolvedAt: null,
  };

  it('says in Japanese first what opened, with a link to the console', () => {
    const sut = operatorAlertTemplate.render(vars, { publicUrl: 'https://charlotte.example.jp' });
    expect(sut.ja.subject).toBe('【監視アラート】ウイルススキャナー停止（health:scanner）');
    expect(sut.en.subject).toBe('[Alert] scanner_down (health:scanner)');
    expect(sut.ja.link?.url).toBe('https://charlotte.example.jp/operator/alerts');
    expect(sut.ja.paragraphs.join('\n')).toContain('原因キー：health:scanner');
  });

  it('says what resolved, with the resolution time and count', () => {
    const sut = operatorAlertTemplate.render(
      { ...vars, event: 'resolved', occurrences: 4, resolvedAt: '2026-12-03T02:00:00.000Z' },
      { publicUrl: 'https://charlotte.example.jp' },
    );
    expect(sut.ja.subject).toBe('【復旧】ウイルススキャナー停止（health:scanner）');
    expect(sut.ja.paragraphs.join('\n')).toContain('検知回数：4');
    expect(sut.en.paragraphs.join('\n')).toContain('Resolved (UTC): 2026-12-03T02:00:00.000Z');
  });
});

// The SPA keeps its own copy of the kinds' Japanese names (its i18n files); the operator mail uses
// ALERT_KIND_LABELS_JA. One wording for the operator in both places.
describe('alert kind labels', () => {
  it('are the same in the operator mail and in the SPA', () => {
    expect(ja.operator.alerts.kinds).toEqual(ALERT_KIND_LABELS_JA);
  });
});
