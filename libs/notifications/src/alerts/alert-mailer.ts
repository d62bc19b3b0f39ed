import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { MailOutboxService } from '../mail/mail-outbox.service';
import { ALERT_KIND_LABELS_JA } from './alert-kinds';
import type { AlertRow } from './alerts.repository';

/**
 * The mail to OPERATOR_ALERT_EMAIL when an alert opens or resolves, put in the outbox inside the
 * caller's transaction (the row change and the mail commit together). Nothing is sent when
 * OPERATOR_ALERT_EMAIL is not set. The mail carries the kind, cause, counts and times only.
 */
@Injectable()
export class AlertMailer {
  constructor(
    private readonly outbox: MailOutboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async enqueue(m: EntityManager, row: AlertRow, event: 'opened' | 'resolved'): Promise<void> {
    const to = this.config.operatorAlertEmail;
    if (!to) return;
    await this.outbox.enqueue(m, {
      to,
      template: 'operator_alert',
      tenantId: null,
      locale: 'ja',
      vars: {
        event,
        alertId: row.id,
        cause: row.cause,
        kind: row.kind,
        kindJa: ALERT_KIND_LABELS_JA[row.kind],
        summary: row.summary,
        occurrences: row.occurrences,
        openedAt: new Date(row.opened_at).toISOString(),
        resolvedAt: row.resolved_at ? new Date(row.resolved_at).toISOString() : null,
      },
    });
  }
}
