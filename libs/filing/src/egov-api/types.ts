/**
 * Request and answer shapes of the e-Gov 電子申請 API v2 endpoints Charlotte uses, written from the
 * published OpenAPI document (paths and components/schemas: results_apply, results_apply_amend,
 * results_apply_withdraw, results_apply_check, results_apply_lists + result_set, results_apply_detail,
 * notice_list_apply, official_list, results_notice/notice, results_official_document(_complete),
 * results_procedure, results_token, results_introspect, report_list, metadata_common).
 * Only facts (field names, types, lengths) are taken; see libs/filing/README.md for where and when.
 */

/** "YYYY-MM-DD HH:MM:SS", JST without a zone (e.g. "2026-04-01 09:30:00"). */
export type EgovDateTime = string;
/** "YYYY-MM-DD" (e.g. 補正期限年月日). */
export type EgovDate = string;

export interface EgovMetadata {
  title: string;
  detail: string;
  type: string;
  instance: string;
}

/** Top level of every 2xx answer of the API server. */
export interface EgovEnvelope<R> {
  metadata: EgovMetadata;
  results: R;
}

/** Lists (GET /apply/lists): the spec puts `resultset` beside `results`, not inside. */
export interface EgovResultSet {
  all_count: number;
  limit: number;
  offset: number;
  count: number;
}

/** One line of an error report (形式チェック): "-" when the error does not depend on that part. */
export interface EgovReportItem {
  form_name?: string;
  attached_file_name?: string;
  file_name?: string;
  item?: string;
  content?: string;
}

/** An error answer of the API server (problem-like); 401 has no body, only WWW-Authenticate; 404 has no body. */
export interface EgovErrorBody {
  title: string;
  detail?: string;
  type: string;
  instance: string;
  report_list?: EgovReportItem[];
}

/** `send_file` of apply / amend / withdraw / check. */
export interface EgovSendFile {
  /** including ".zip" */
  file_name: string;
  /** base64 of the ZIP */
  file_data: string;
}

// ---- requests ----
export interface ApplyRequest {
  /** 手続識別子, 16 characters */
  proc_id: string;
  send_file: EgovSendFile;
}
export type ApplyCheckRequest = ApplyRequest;
export interface AmendRequest {
  /** 到達番号, 16–18 digits */
  arrive_id: string;
  send_file: EgovSendFile;
}
export type WithdrawRequest = AmendRequest;
export interface OfficialDocumentCompleteRequest {
  arrive_id: string;
  /** 通知通番, integer 1–999 */
  notice_sub_id: number;
}
export interface ApplyListsQuery {
  date_from: EgovDate;
  date_to: EgovDate;
  /** 1–50 */
  limit: number;
  offset: number;
}

// ---- answers (the `results` part) ----
export interface ApplyResults {
  arrive_id: string;
  arrive_date: EgovDateTime;
  corporation_name: string;
  applicant_name: string;
  /** 「新規申請」または「再提出」 */
  apply_type: string;
  proc_name: string;
  ministry_name: string;
  submission_destination: string;
  apply_form: { form?: Array<{ form_name?: string }>; attached_file?: Array<{ attached_file_name?: string }> };
}
export interface ApplyLinks {
  self: string;
  status: string;
}
export interface AmendResults {
  arrive_id: string;
  amend_date: EgovDateTime;
}
export interface WithdrawResults {
  arrive_id: string;
  withdraw_date: EgovDateTime;
  corporation_name?: string;
  applicant_name: string;
  proc_name: string;
  ministry_name: string;
  submission_destination?: string;
}
export interface ApplyCheckResults {
  message: string;
  error_count: number;
  report_list?: EgovReportItem[];
}
export interface NoticeListItem {
  notice_sub_id: number;
  issue_date?: EgovDateTime;
  /** 種別 (お知らせ, 補正, 取下げ, …) */
  notice_data_type?: string;
  notice_title?: string;
  notice_sentence?: string;
  issuer_organization?: string;
  correct_expired_date?: EgovDate;
  correct_completed_date?: EgovDateTime;
}
export interface OfficialListItem {
  notice_sub_id: number;
  allowed_date?: EgovDateTime;
  doc_title?: string;
  doc_download_expired_date?: EgovDate;
  /** present once the document was fetched and its completion registered */
  doc_download_date?: EgovDateTime;
  /** あり／なし */
  sign?: string;
}
/** One line of GET /apply/lists: no proc_id (only proc_name). */
export interface ApplyListItem {
  no?: number;
  send_number?: string;
  send_date?: string;
  status?: string;
  arrive_id: string;
  arrive_date?: EgovDateTime;
  corporation_name?: string;
  applicant_name?: string;
  proc_name?: string;
  submission_destination?: string;
  withdraw_flag?: boolean;
  notice_count?: number;
  doc_count?: number;
}
export interface ApplyListsResults {
  apply_list?: ApplyListItem[];
}
export interface ApplyDetailResults {
  status: string;
  arrive_id: string;
  arrive_date: EgovDateTime;
  corporation_name: string;
  applicant_name: string;
  proc_name: string;
  submission_destination: string;
  withdraw_flag: boolean;
  pay_status: string;
  notice_count: number;
  doc_count: number;
  apply_pay_count: number;
  notice_list?: NoticeListItem[];
  official_list?: OfficialListItem[];
}
export interface NoticeResults {
  notice: {
    issuer_organization: string;
    notice_issue_date: EgovDateTime;
    /** お知らせ、納付、補正、取下げ */
    notice_type?: string;
    /** only for 補正: 部分補正、再提出、手続終了(再提出可) */
    correct_type?: string;
    correct_expired_date?: EgovDate;
    correct_completed_date?: EgovDateTime;
    notice_title: string;
    notice_sentence?: string;
    proc_name: string;
  };
}
export interface OfficialDocumentResults {
  /** base64 ZIP (鑑ファイル、添付ファイル) */
  file_data: string;
  file_name_list: Array<{ file_name: string }>;
}
export interface OfficialDocumentCompleteResults {
  arrive_id: string;
  notice_sub_id: number;
  proc_name: string;
  doc_title: string;
  download_date: EgovDateTime;
  file_name_list: Array<{ file_name: string }>;
}
export interface ProcedureResults {
  /** base64 ZIP: root folder named after the 手続ID, kousei, 申請書 XML, XSL, check files */
  file_data: string;
  configuration_file_name: string[];
  file_info: Array<{
    form_id?: string;
    form_version?: number;
    form_name?: string;
    apply_file_name?: string;
    xsl_file_name?: string;
    server_check_file_name?: string;
    schema_file_name?: string;
    style_indication_file?: string;
  }>;
}

// ---- auth server (not enveloped) ----
export interface TokenAnswer {
  access_token: string;
  expires_in: number;
  refresh_expires_in: number;
  refresh_token: string;
  token_type: string;
  id_token?: string;
  'not-before-policy'?: number;
  session_state?: string;
  scope?: string;
}
export interface IntrospectAnswer {
  active: boolean;
  exp?: number;
  iat?: number;
  scope?: string;
  client_id?: string;
}
export interface TokenErrorBody {
  error: string;
  error_description?: string;
}

/** 補正種別 values of the notice (results.notice.correct_type). */
export const CorrectType = { Partial: '部分補正', Resubmit: '再提出', EndedResubmittable: '手続終了(再提出可)' } as const;
