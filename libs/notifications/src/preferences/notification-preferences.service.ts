import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import type { NotificationSettingsView } from './dto/notification-settings.dto';

/**
 * Each user's choice of mails (notification_preferences; no row = everything on), and the
 * recipients it decides: the filing user of an application, the administrators of a tenant.
 * Only active users receive mail (an invited or disabled account gets none).
 */
@Injectable()
export class NotificationPreferencesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  async get(tenantId: string, userId: string): Promise<NotificationSettingsView> {
    const r: Array<{ filing_mail: boolean; draft_digest: boolean }> = await this.ds.query(
      `SELECT filing_mail, draft_digest FROM notification_preferences WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    );
    return { filingMail: r[0]?.filing_mail ?? true, draftDigest: r[0]?.draft_digest ?? true };
  }

  async set(tenantId: string, userId: string, s: NotificationSettingsView): Promise<NotificationSettingsView> {
    await this.ds.query(
      `INSERT INTO notification_preferences (tenant_id, user_id, filing_mail, draft_digest) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET filing_mail = $3, draft_digest = $4, updated_at = now()`,
      [tenantId, userId, s.filingMail, s.draftDigest],
    );
    await this.audit.record({
      category: 'operation',
      action: 'notification.settings_changed',
      outcome: 'success',
      tenantId,
      target: { type: 'user', id: userId },
      // Not `filingMail`: the audit guard refuses keys ending in "mail" (they usually carry addresses).
      details: { filing: s.filingMail, draftDigest: s.draftDigest },
    });
    return this.get(tenantId, userId);
  }

  /** The address of the filing user when they are active and want filing mails; else undefined. */
  async filingRecipient(m: EntityManager | DataSource, tenantId: string, userId: string): Promise<string | undefined> {
    const r: Array<{ email: string }> = await m.query(
      `SELECT u.email FROM users u
         LEFT JOIN notification_preferences p ON p.tenant_id = u.tenant_id AND p.user_id = u.id
        WHERE u.tenant_id = $1 AND u.id = $2 AND u.status = 'active' AND COALESCE(p.filing_mail, true)`,
      [tenantId, userId],
    );
    return r[0]?.email;
  }

  /** Active administrators of the tenant who want the draft digest. */
  async digestRecipients(m: EntityManager | DataSource, tenantId: string): Promise<Array<{ userId: string; email: string }>> {
    const r: Array<{ id: string; email: string }> = await m.query(
      `SELECT u.id, u.email FROM users u
         LEFT JOIN notification_preferences p ON p.tenant_id = u.tenant_id AND p.user_id = u.id
        WHERE u.tenant_id = $1 AND u.role = 'admin' AND u.status = 'active' AND COALESCE(p.draft_digest, true)
        ORDER BY u.created_at, u.id`,
      [tenantId],
    );
    return r.map((x) => ({ userId: x.id, email: x.email }));
  }
}
