/** What an お知らせ is about (the SPA words each kind in Japanese or English; no content is stored). */
export const NOTICE_KINDS = [
  'arrived',
  'correction_requested',
  'review_finished',
  'completed',
  'withdrawn',
  'failed',
  'document_received',
  'amended',
  'amend_failed',
  'withdraw_failed',
  // 運用からのお知らせ: an incident was created, updated or resolved (notices.incident_id says which).
  'incident',
  // The platform operators switched the tenant's IP allow-list off (break-glass), to its administrators.
  'ip_allowlist_disabled',
  // Webhooks: an endpoint that kept failing for a day was switched off (to the tenant's administrators).
  'webhook_disabled',
  // 承認フロー: to the approvers of a step (requested, cancelled by an edit), to the requester (approved, sent back, cancelled).
  'approval_requested',
  'approval_approved',
  'approval_sent_back',
  'approval_cancelled',
  // 顧問先ポータル: a client user sent a 依頼 (to the client's staff and the admins); a 依頼 was closed (to its requester).
  'client_request_created',
  'client_request_closed',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
