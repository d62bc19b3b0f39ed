import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import { EgovCaseNoticeDto } from '@charlotte/applications';
import { caseNoticeTitle, caseNoticeType } from './case-notice-title';
import { EgovCase, EgovClient, EgovError } from './egov-client';
import { PURPOSE } from './sealing-purposes';
import { egovTextToIso } from './egov-api/jst';

const TITLE = PURPOSE.egovNoticeTitle;
const BODY = PURPOSE.egovNoticeBody;

/**
 * The notices e-Gov sends about a case (what to correct for 補正, the receipt
 * of a 取下げ, …). Their text is the government's wording about the
 * applicant's case, so title and body are sealed like the form; they are kept
 * after e-Gov deletes the case.
 */
@Injectable()
export class CaseNoticesService {
  private readonly logger = new Logger(CaseNoticesService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly sealing: SealingService,
    private readonly client: EgovClient,
    rotation: KeyRotationService,
  ) {
    rotation.register({ table: 'egov_case_notices', column: 'title_sealed', purpose: TITLE });
    rotation.register({ table: 'egov_case_notices', column: 'body_sealed', purpose: BODY });
  }

  /** Fetches and stores the notices of `c` not stored yet. Returns the types of those new ones. */
  async sync(tenantId: string, applicationId: string, token: string, c: EgovCase): Promise<string[]> {
    // notice_sub_id is an integer on the wire and text in our table (since the first migration): converted here.
    const listed = (c.notice_list ?? []).map((n) => n.notice_sub_id);
    if (listed.length === 0) return [];
    const have: Array<{ notice_sub_id: string }> = await this.ds.query(
      `SELECT notice_sub_id FROM egov_case_notices WHERE tenant_id = $1 AND application_id = $2`,
      [tenantId, applicationId],
    );
    const known = new Set(have.map((h) => h.notice_sub_id));
    const added: string[] = [];
    for (const subId of listed) {
      if (known.has(String(subId))) continue;
      let n;
      try {
        n = await this.client.notice(token, c.arrive_id, subId);
      } catch (e) {
        // A notice e-Gov refuses for good (gone, unknown) must not hold the case's status back; a transient error retries the poll.
        if (e instanceof EgovError && e.kind === 'permanent') {
          this.logger.warn({ message: 'e-Gov notice not available', application: applicationId, status: e.status });
          continue;
        }
        throw e;
      }
      const id = randomUUID();
      const inserted: unknown[] = await this.ds.query(
        `INSERT INTO egov_case_notices (id, tenant_id, application_id, notice_sub_id, notice_type, title_sealed, body_sealed, notice_date, correct_type, correct_expires_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (application_id, notice_sub_id) DO NOTHING RETURNING id`,
        [
          id,
          tenantId,
          applicationId,
          String(subId),
          n.noticeType.slice(0, 50),
          await this.sealing.seal(tenantId, TITLE, id, n.title.slice(0, 500)),
          await this.sealing.seal(tenantId, BODY, id, n.sentence.slice(0, 20_000)),
          // e-Gov's own text (JST, no zone), as shown to the user
          n.issuedAtText,
          n.correctType?.slice(0, 20) ?? null,
          n.correctExpiresOn ?? null,
        ],
      );
      if (inserted.length === 0) continue; // another poll stored it meanwhile
      added.push(n.noticeType);
    }
    return added;
  }

  /**
   * The 補正種別 of the latest 補正 notice of an application (部分補正, 再提出, 手続終了(再提出可)), or
   * undefined when there is none: it decides between POST /apply/amend and a new POST /apply.
   */
  async latestCorrectType(tenantId: string, applicationId: string): Promise<string | undefined> {
    const r: Array<{ correct_type: string }> = await this.ds.query(
      `SELECT correct_type FROM egov_case_notices
        WHERE tenant_id = $1 AND application_id = $2 AND correct_type IS NOT NULL
        ORDER BY fetched_at DESC, length(notice_sub_id) DESC, notice_sub_id DESC LIMIT 1`,
      [tenantId, applicationId],
    );
    return r[0]?.correct_type;
  }

  async list(tenantId: string, applicationId: string): Promise<EgovCaseNoticeDto[]> {
    const rows: Array<{
      id: string;
      notice_sub_id: string;
      notice_type: string;
      title_sealed: Buffer;
      body_sealed: Buffer;
      notice_date: string | null;
    }> = await this.ds.query(
      `SELECT id, notice_sub_id, notice_type, title_sealed, body_sealed, notice_date FROM egov_case_notices
        WHERE tenant_id = $1 AND application_id = $2 ORDER BY fetched_at, notice_sub_id`,
      [tenantId, applicationId],
    );
    const out: EgovCaseNoticeDto[] = [];
    for (const r of rows)
      out.push({
        noticeSubId: r.notice_sub_id,
        // As people read them: no ids or codes, a plain title when e-Gov's has nothing else (stored as e-Gov sent them).
        type: caseNoticeType(r.notice_type),
        title: caseNoticeTitle(await this.sealing.openString(tenantId, TITLE, r.id, r.title_sealed), r.notice_type),
        body: await this.sealing.openString(tenantId, BODY, r.id, r.body_sealed),
        // Stored as e-Gov wrote it (JST, no zone); answered with its offset so every client reads the same instant.
        date: r.notice_date === null ? null : egovTextToIso(r.notice_date),
      });
    return out;
  }
}
