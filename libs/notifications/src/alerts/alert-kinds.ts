/**
 * What can go wrong, as operator alert kinds. Each kind has a fixed summary (what the operator
 * reads in the console and in the mail) and, for the kinds that customers feel, the fixed ja/en
 * wording of the automatic incident. Only these texts ever leave the alert: never an error message,
 * which may carry paths, addresses or tenant content.
 */
export const ALERT_KINDS = [
  'scanner_down',
  'blob_store',
  'key_provider',
  'database',
  'egov_unreachable',
  'backup_store',
  'backup_failed',
  'backup_verify_failed',
  'backup_remote_failed',
  'deletion_stuck',
  'disk_low',
  'audit_chain_invalid',
  'health',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** The kinds whose failure users of every tenant feel (uploads, filing, reading data): the alert → incident rule applies to them. */
export const CUSTOMER_IMPACT_KINDS: ReadonlySet<AlertKind> = new Set([
  'scanner_down',
  'blob_store',
  'key_provider',
  'database',
  'egov_unreachable',
]);

export const ALERT_SUMMARIES: Record<AlertKind, string> = {
  scanner_down: 'Malware scanner (clamd) does not answer: uploads are refused.',
  blob_store: 'Blob store errors: attachments and documents cannot be read or written.',
  key_provider: 'Key provider unavailable: tenant keys cannot be opened.',
  database: 'Database check failing.',
  egov_unreachable: 'e-Gov has been unreachable: submissions and status polls are waiting.',
  backup_store: 'A backup store does not answer.',
  backup_failed: 'A scheduled backup failed after its retries.',
  backup_verify_failed: 'The weekly verification of a backup generation failed.',
  backup_remote_failed: 'The weekly copy to the remote backup store failed.',
  deletion_stuck: 'A tenant deletion is overdue or keeps failing.',
  disk_low: 'Free disk space under the threshold on the file system of DATA_DIR.',
  audit_chain_invalid: 'Audit chain verification failed: an audit chain does not verify.',
  health: 'A readiness check is failing.',
};

/** The health checks of HealthRegistry, by name, as alert kinds (anything else is `health`). */
export const HEALTH_CHECK_KINDS: Readonly<Record<string, AlertKind>> = {
  scanner: 'scanner_down',
  blobs: 'blob_store',
  keys: 'key_provider',
  database: 'database',
  backups: 'backup_store',
  backupsRemote: 'backup_store',
};

/**
 * Fixed wording of the automatic customer incident per kind (ja first, en second). Deliberately
 * generic: the customer learns what does not work and that we are on it, never why in detail.
 */
export const INCIDENT_WORDING: Partial<Record<AlertKind, { ja: { title: string; body: string }; en: { title: string; body: string } }>> = {
  scanner_down: {
    ja: {
      title: 'ファイルのアップロードができない状態です',
      body: '現在、添付ファイルのアップロードを受け付けられない状態です。復旧に向けて対応しております。ご迷惑をおかけし申し訳ございません。',
    },
    en: {
      title: 'File uploads are unavailable',
      body: 'Attachments cannot be uploaded at the moment. We are working on it and apologise for the inconvenience.',
    },
  },
  blob_store: {
    ja: {
      title: '添付ファイル・公文書の読み書きに障害が発生しています',
      body: '現在、添付ファイルおよび公文書の保存・表示ができない状態です。復旧に向けて対応しております。ご迷惑をおかけし申し訳ございません。',
    },
    en: {
      title: 'Attachments and documents are unavailable',
      body: 'Attachments and official documents cannot be stored or opened at the moment. We are working on it and apologise for the inconvenience.',
    },
  },
  key_provider: {
    ja: {
      title: 'データの表示・保存に障害が発生しています',
      body: '現在、一部のデータを表示・保存できない状態です。復旧に向けて対応しております。ご迷惑をおかけし申し訳ございません。',
    },
    en: {
      title: 'Data cannot be displayed or saved',
      body: 'Some data cannot be displayed or saved at the moment. We are working on it and apologise for the inconvenience.',
    },
  },
  database: {
    ja: {
      title: 'サービスに障害が発生しています',
      body: '現在、サービスの一部がご利用いただけない状態です。復旧に向けて対応しております。ご迷惑をおかけし申し訳ございません。',
    },
    en: {
      title: 'Service disruption',
      body: 'Parts of the service are unavailable at the moment. We are working on it and apologise for the inconvenience.',
    },
  },
  egov_unreachable: {
    ja: {
      title: 'e-Govとの通信に障害が発生しています',
      body: '現在、e-Govに接続できないため、申請の送信および状況の確認が遅れています。送信待ちの申請は接続の回復後に自動で送信されます。',
    },
    en: {
      title: 'e-Gov cannot be reached',
      body: 'e-Gov cannot be reached at the moment, so submissions and status updates are delayed. Waiting submissions are sent automatically once the connection is back.',
    },
  },
};

/** The fixed wording of the incident update that resolves an automatic incident. */
export const INCIDENT_RESOLVED_WORDING = {
  ja: '復旧いたしました。ご迷惑をおかけし申し訳ございませんでした。',
  en: 'The service has recovered. We apologise for the inconvenience.',
};

/** Wording for a hand-promoted alert of a kind without its own text. */
export const INCIDENT_GENERIC_WORDING = INCIDENT_WORDING.database!;

/** The kind in Japanese, for the operator mail (the SPA has its own copy in its i18n files). */
export const ALERT_KIND_LABELS_JA: Record<AlertKind, string> = {
  scanner_down: 'ウイルススキャナー停止',
  blob_store: 'ファイル保管領域の障害',
  key_provider: '鍵管理の障害',
  database: 'データベースの障害',
  egov_unreachable: 'e-Gov接続不可',
  backup_store: 'バックアップ保管先の障害',
  backup_failed: 'バックアップ失敗',
  backup_verify_failed: 'バックアップ検証失敗',
  backup_remote_failed: '遠隔バックアップ複製失敗',
  deletion_stuck: '契約データ消去の停滞',
  disk_low: 'ディスク空き容量不足',
  audit_chain_invalid: '監査ログ改ざん検知',
  health: '稼働確認の異常',
};
