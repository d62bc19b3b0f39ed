import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { isMailAddress, MailOutboxService } from '../mail/mail-outbox.service';
import { MAILED_NOTICE_KINDS } from '../mail/templates';
import type { NoticeKind } from '../notices/notice-kinds';
import { NotificationPreferencesService } from '../preferences/notification-preferences.service';
import { ApplicationInfoRegistry } from './sources';

/**
 * The mail to the filing user that goes with some お知らせ (到達, 補正, 手続終了, 公文書, failures),
 * enqueued in the transaction that adds the notice. Only the user who filed (never the tenant as a
 * whole), only when active and not opted out.
 */
@Injectable()
export class FilingMailService {
  constructor(
    private readonly outbox: MailOutboxService,
    private readonly prefs: NotificationPreferencesService,
    private readonly apps: ApplicationInfoRegistry,
  ) {}

  async onNotice(
    m: EntityManager | DataSource,
    tenantId: string,
    userId: string | null,
    applicationId: string | null,
    kind: NoticeKind,
  ): Promise<void> {
    if (!userId || !applicationId || !MAILED_NOTICE_KINDS.includes(kind)) return;
    const to = await this.prefs.filingRecipient(m, tenantId, userId);
    if (!to || !isMailAddress(to)) return;
    const info = await this.apps.resolve(m, tenantId, applicationId);
    await this.outbox.enqueue(m, {
      to,
      template: 'filing_status',
      vars: { kind, applicationId, procedureName: info?.procedureName ?? null, procedureNameEn: info?.procedureNameEn ?? null },
      tenantId,
    });
  }
}
