import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import * as yauzl from 'yauzl';
import { AuditService } from '@charlotte/audit';
import { countJobFailures } from '@charlotte/core';
import { SealingService } from '@charlotte/crypto';
import { ApplicationStatus, ApplicationStore } from '@charlotte/applications';
import { BLOB_STORE, BlobStore } from '@charlotte/storage';
import { CaseNoticesService } from './case-notices.service';
import { EgovAccountsService } from './egov-accounts.service';
import { EgovCase, EgovClient, EgovError } from './egov-client';
import { NoticeKind, NoticesService } from '@charlotte/notifications';
import { FilingEventsRegistry, FilingEventType } from './filing-events';
import { PURPOSE } from './sealing-purposes';
import { SubmissionsRepository } from './submissions.repository';

/**
 * The government's status strings → our state machine (domain.md). Unknown
 * strings keep the current state. A case withdrawn (取下げ) ends as 手続終了
 * at e-Gov; its 取下げ notice tells it apart from a completed one.
 */
export function mapEgovStatus(s: string, noticeTypes: string[] = []): ApplicationStatus | undefined {
  const v = s.trim();
  if (v === '手続終了' && noticeTypes.some((t) => t.includes('取下'))) return 'withdrawn';
  if (v.includes('取下')) return 'withdrawn';
  if (v === '到達') return 'arrived';
  if (v.startsWith('審査中') && v.includes('補正')) return 'correction_requested';
  if (v === '審査中') return 'under_review';
  if (v === '審査終了') return 'review_finished';
  if (v === '手続終了') return 'completed';
  return undefined;
}

const NOTIFY: Partial<Record<ApplicationStatus, NoticeKind>> = {
  correction_requested: 'correction_requested',
  review_finished: 'review_finished',
  completed: 'completed',
  withdrawn: 'withdrawn',
};

/** The status changes of the poll that integrators hear about (webhooks); the others are only in the timeline. */
const EVENT: Partial<Record<ApplicationStatus, FilingEventType>> = {
  correction_requested: 'application.correction_requested',
  completed: 'application.completed',
};

const MIME: Record<string, string> = {
  pdf: 'application/pdf',
  xml: 'application/xml',
  csv: 'text/csv',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
};

function unzip(zip: Buffer): Promise<Array<{ name: string; data: Buffer }>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true }, (err, zf) => {
      if (err || !zf) return reject(err ?? new Error('not a ZIP'));
      const out: Array<{ name: string; data: Buffer }> = [];
      zf.on('entry', (entry: yauzl.Entry) => {
        if (/\/$/.test(entry.fileName)) return zf.readEntry();
        if (entry.uncompressedSize > 64 * 1024 * 1024) return reject(new Error('official document entry too large'));
        zf.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('unreadable entry'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.push({ name: entry.fileName.split('/').pop() as string, data: Buffer.concat(chunks) });
            zf.readEntry();
          });
          stream.on('error', reject);
        });
      });
      zf.on('end', () => resolve(out));
      zf.on('error', reject);
      zf.readEntry();
    });
  });
}

/**
 * Follows filed applications on e-Gov (scheduled, one instance at a time):
 * maps the status into our state machine with a timeline entry and a notice,
 * and fetches official documents as soon as they are offered: sealed into the
 * BlobStore (kept after e-Gov deletes the case), then acknowledged so the case
 * can reach 手続終了.
 */
@Injectable()
export class StatusTrackerService {
  private readonly logger = new Logger(StatusTrackerService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly sealing: SealingService,
    private readonly store: ApplicationStore,
    private readonly submissions: SubmissionsRepository,
    private readonly accounts: EgovAccountsService,
    private readonly client: EgovClient,
    private readonly notices: NoticesService,
    private readonly caseNotices: CaseNoticesService,
    private readonly audit: AuditService,
    private readonly events: FilingEventsRegistry,
  ) {}

  /**
   * One run: every open case once, least recently polled first, a few at a
   * time (so 10,000 open cases are all seen in one run, not the same first
   * batch again and again). Returns how many changed status.
   */
  async pollAll(opts: { concurrency?: number; batch?: number } = {}): Promise<number> {
    const concurrency = Math.max(1, opts.concurrency ?? 4);
    const [{ t: started }]: Array<{ t: Date }> = await this.ds.query(`SELECT now() AS t`);
    let changed = 0;
    for (;;) {
      const apps = await this.store.dueForPoll(started, opts.batch ?? 200);
      if (apps.length === 0) return changed;
      let next = 0;
      const seen: Array<string | null> = apps.map(() => null);
      // One token read per tenant and batch (a token stays valid for an hour; a refused one is refreshed next run).
      const tokens = new Map<string, Promise<string>>();
      const tokenOf = (tenantId: string) => {
        let t = tokens.get(tenantId);
        if (!t) {
          t = this.accounts.accessToken(tenantId);
          t.catch(() => tokens.delete(tenantId));
          tokens.set(tenantId, t);
        }
        return t;
      };
      const worker = async () => {
        while (next < apps.length) {
          const i = next++;
          const a = apps[i];
          try {
            const r = await this.pollOne(a, await tokenOf(a.tenant_id));
            if (r.changed) changed++;
            else seen[i] = r.egovStatus;
          } catch (e) {
            // One tenant's unlinked account or an e-Gov hiccup must not stop the others.
            countJobFailures('egov_poll');
            this.logger.warn({
              message: 'e-Gov status poll failed',
              application: a.id,
              kind: e instanceof EgovError ? e.kind : 'internal',
              error: (e as Error).message,
            });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, apps.length) }, worker));
      // The whole batch marked at once, failures included, so that the run moves on (the next run tries them again).
      await this.store.markPolled(apps.map((a, i) => ({ id: a.id, tenant_id: a.tenant_id, seen: seen[i] })));
    }
  }

  private async submitter(tenantId: string, applicationId: string): Promise<string | null> {
    return (await this.submissions.latest(tenantId, applicationId))?.submitted_by ?? null;
  }

  /** One case: documents, notices, then the status. `egovStatus` (when unchanged) is stored by the caller with the poll time. */
  private async pollOne(
    a: { id: string; tenant_id: string; arrive_id: string; status: ApplicationStatus },
    token: string,
  ): Promise<{ changed: boolean; egovStatus: string | null }> {
    const c: EgovCase = await this.client.getCase(token, a.arrive_id);
    // Who is told (the document's notice and the status's): read once per case.
    let submitter: Promise<string | null> | undefined;
    const submitterOnce = () => (submitter ??= this.submitter(a.tenant_id, a.id));
    await this.fetchDocuments(a, token, c, submitterOnce);
    // Before the status: a user told "correction requested" finds what to correct.
    await this.caseNotices.sync(a.tenant_id, a.id, token, c);
    const next = mapEgovStatus(
      c.status,
      (c.notice_list ?? []).map((n) => n.notice_data_type ?? ''),
    );
    if (!next || next === a.status) return { changed: false, egovStatus: c.status.slice(0, 100) };
    const moved = await this.ds.transaction(async (m) => {
      const moved = await this.store.transition(m, a.tenant_id, a.id, {
        from: a.status,
        to: next,
        actor: 'system',
        set: { egov_status: c.status.slice(0, 100) },
        details: { egovStatus: c.status.slice(0, 100) },
      });
      // Moved meanwhile (a 補正 or 取下げ answered, another poll): the next run sees the new state.
      if (!moved) return false;
      const kind = NOTIFY[next];
      if (kind) await this.notices.add(m, a.tenant_id, await submitterOnce(), a.id, kind);
      const type = EVENT[next];
      if (type) await this.events.emit(m, { tenantId: a.tenant_id, type, applicationId: a.id, status: next });
      return true;
    });
    if (!moved) return { changed: false, egovStatus: null };
    await this.audit.record({
      category: 'operation',
      action: 'application.status_changed',
      outcome: 'success',
      tenantId: a.tenant_id,
      actor: { type: 'system' },
      target: { type: 'application', id: a.id },
      details: { from: a.status, to: next },
    });
    return { changed: true, egovStatus: null };
  }

  private async fetchDocuments(
    a: { id: string; tenant_id: string; arrive_id: string; status: ApplicationStatus },
    token: string,
    c: EgovCase,
    submitter: () => Promise<string | null>,
  ): Promise<void> {
    const offered = c.official_list ?? [];
    if (offered.length === 0) return;
    // What is already stored and acknowledged, for every offered document in one statement.
    const rows: Array<{ notice_sub_id: string; n: number; acked: number }> = await this.ds.query(
      `SELECT notice_sub_id, count(*)::int AS n, count(acknowledged_at)::int AS acked FROM official_documents
        WHERE tenant_id = $1 AND application_id = $2 AND notice_sub_id = ANY($3::text[]) GROUP BY notice_sub_id`,
      [a.tenant_id, a.id, offered.map((d) => String(d.notice_sub_id))],
    );
    const stock = new Map(rows.map((r) => [r.notice_sub_id, r]));
    for (const doc of offered) {
      const have = [stock.get(String(doc.notice_sub_id)) ?? { n: 0, acked: 0 }];
      if (have[0].n === 0) {
        let got: { fileName: string; data: Buffer };
        try {
          got = await this.client.officialDocument(token, a.arrive_id, doc.notice_sub_id);
        } catch (e) {
          // Gone for good (e.g. 410 past its download period): logged, and the status still moves; transient errors retry the poll.
          if (e instanceof EgovError && e.kind === 'permanent') {
            this.logger.warn({ message: 'e-Gov official document not available', application: a.id, status: e.status });
            continue;
          }
          throw e;
        }
        const entries =
          got.fileName.toLowerCase().endsWith('.zip') || got.data.subarray(0, 2).toString('latin1') === 'PK'
            ? await unzip(got.data)
            : [{ name: got.fileName, data: got.data }];
        // Every entry sealed into the store first, then all their rows and document.available events in one
        // transaction (an event exists iff its document does); on failure the stored files are removed.
        const title = (doc.doc_title ?? '公文書').slice(0, 300);
        const stored: Array<{ id: string; key: string; name: string; data: Buffer; titleSealed: Buffer; nameSealed: Buffer }> = [];
        const written: string[] = [];
        try {
          for (const e of entries) {
            const id = randomUUID();
            const key = `tenants/${a.tenant_id}/documents/${id}`;
            const sealer = await this.sealing.sealStream(a.tenant_id, PURPOSE.document, id);
            Readable.from([e.data]).pipe(sealer);
            written.push(key); // removed on failure, even if only part of it was written
            await this.blobs.put(key, sealer);
            const titleSealed = await this.sealing.seal(a.tenant_id, PURPOSE.documentTitle, id, title);
            const nameSealed = await this.sealing.seal(a.tenant_id, PURPOSE.documentName, id, e.name.slice(0, 255));
            stored.push({ id, key, name: e.name, data: e.data, titleSealed, nameSealed });
          }
          await this.ds.transaction(async (m) => {
            for (const [i, e] of stored.entries()) {
              const ext = (e.name.split('.').pop() ?? '').toLowerCase();
              await m.query(
                `INSERT INTO official_documents (id, tenant_id, application_id, notice_sub_id, entry_index, title_sealed, file_name_sealed, content_type, size, sha256, blob_key)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
                [
                  e.id,
                  a.tenant_id,
                  a.id,
                  String(doc.notice_sub_id),
                  i,
                  e.titleSealed,
                  e.nameSealed,
                  MIME[ext] ?? 'application/octet-stream',
                  e.data.length,
                  createHash('sha256').update(e.data).digest(),
                  e.key,
                ],
              );
              await this.events.emit(m, {
                tenantId: a.tenant_id,
                type: 'document.available',
                applicationId: a.id,
                status: a.status,
                documentId: e.id,
              });
            }
          });
        } catch (err) {
          for (const key of written) await this.blobs.delete(key);
          throw err;
        }
        await this.audit.record({
          category: 'operation',
          action: 'document.received',
          outcome: 'success',
          tenantId: a.tenant_id,
          actor: { type: 'system' },
          target: { type: 'application', id: a.id },
          details: { files: entries.length },
        });
        await this.notices.add(this.ds, a.tenant_id, await submitter(), a.id, 'document_received');
      }
      if (have[0].acked === 0 && !doc.doc_download_date) {
        // Stored first, acknowledged after: a crash in between re-acknowledges, never loses the document.
        await this.client.acknowledgeOfficialDocument(token, a.arrive_id, doc.notice_sub_id);
        await this.ds.query(
          `UPDATE official_documents SET acknowledged_at = now() WHERE tenant_id = $1 AND application_id = $2 AND notice_sub_id = $3`,
          [a.tenant_id, a.id, String(doc.notice_sub_id)],
        );
      }
    }
  }
}
