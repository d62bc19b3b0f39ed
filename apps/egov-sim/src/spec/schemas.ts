/**
 * JSON Schemas (draft-07, for ajv) of the e-Gov API v2 requests and answers the
 * simulator serves, written by hand from the published OpenAPI document
 * (ippoan/claude-skills egov-api/references/openapi.json: paths and
 * components/schemas). Facts only: field names, types, lengths, required
 * members. Where the spec is silent on extra members we CLOSE the object
 * (additionalProperties: false) so that an invented field is caught; every
 * closed object lists every property the spec lists.
 *
 * Deliberate deviations, each because the spec contradicts itself:
 * - official_list.doc_download_date and notice correct_completed_date are
 *   declared `format: date` with length 19: we check them as date-times.
 * - apply/lists `offset` is declared minimum 1 (取得ページ番号) but the spec's own
 *   example uses offset=0 and result_set.offset is オフセット件数 (minimum 0):
 *   we accept 0..9999 as a record offset.
 */

type Schema = Record<string, unknown>;

const str = (min: number, max?: number): Schema =>
  max === undefined ? { type: 'string', minLength: min } : { type: 'string', minLength: min, maxLength: max };
const int = (min: number, max: number): Schema => ({ type: 'integer', minimum: min, maximum: max });
const obj = (required: string[], properties: Record<string, Schema>): Schema => ({
  type: 'object',
  required,
  properties,
  additionalProperties: false,
});
const arr = (items: Schema): Schema => ({ type: 'array', items });

/** "YYYY-MM-DD HH:MM:SS" (JST, no zone). */
export const DATETIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$';
/** "YYYY-MM-DD". */
export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
const datetime: Schema = { type: 'string', minLength: 19, maxLength: 19, pattern: DATETIME_PATTERN };
const date: Schema = { type: 'string', minLength: 10, maxLength: 10, pattern: DATE_PATTERN };
/** 到達番号: 半角数字 16–18 桁. */
const arriveId: Schema = { type: 'string', minLength: 16, maxLength: 18, pattern: '^\\d+$' };
/** 手続識別子: 半角英数字 16 桁. */
const procId: Schema = { type: 'string', minLength: 16, maxLength: 16, pattern: '^[0-9A-Za-z]+$' };
const noticeSubId = int(1, 999);
/** Base64 (format byte). */
const byte: Schema = { type: 'string', minLength: 1, format: 'byte' };

const metadata = obj(['title', 'detail', 'type', 'instance'], {
  title: str(1, 256),
  detail: str(1, 256),
  type: str(1, 256),
  instance: str(1, 256),
});
const resultSet = obj(['all_count', 'limit', 'offset', 'count'], {
  all_count: int(0, 9999),
  limit: int(1, 9999),
  offset: int(0, 9999),
  count: int(0, 9999),
});
/** components/schemas/data: send_file. */
const sendFile = obj(['file_name', 'file_data'], { file_name: str(1, 256), file_data: byte });

const reportItem = obj([], {
  form_name: str(1, 128),
  attached_file_name: str(1, 256),
  file_name: str(1, 256),
  item: str(1, 256),
  content: { type: 'string' },
});
const reportItemWithdraw = obj([], { file_name: str(1, 256), item: str(1, 256), content: str(1, 256) });

const problemProps = { title: str(1, 256), detail: str(1, 256), type: str(1, 256), instance: str(1, 256) };

const envelope = (results: Schema, extra: Record<string, Schema> = {}, extraRequired: string[] = []): Schema =>
  obj(['metadata', 'results', ...extraRequired], { metadata, results, ...extra });

const applyForm = obj([], {
  form: arr(obj([], { form_name: str(1, 128) })),
  attached_file: arr(obj([], { attached_file_name: str(1, 256) })),
});
const applyPayList = arr(
  obj([], {
    pay_number: str(16, 16),
    confirm_number: str(6, 6),
    facility_number: str(5, 5),
    pay_name_kana: str(1, 24),
    total_fee: { type: 'integer', minimum: 0 },
    pay_expired: date,
  }),
);
const noticeListApply = arr(
  obj([], {
    notice_sub_id: noticeSubId,
    issue_date: datetime,
    notice_data_type: str(2, 4),
    notice_title: str(1, 256),
    notice_sentence: str(1, 512),
    issuer_organization: str(1, 256),
    correct_expired_date: date,
    correct_completed_date: datetime,
  }),
);
const officialList = arr(
  obj([], {
    notice_sub_id: noticeSubId,
    allowed_date: datetime,
    doc_title: str(1, 256),
    doc_download_expired_date: date,
    doc_download_date: datetime,
    sign: { type: 'string', enum: ['あり', 'なし'] },
  }),
);
const applyDetailProps: Record<string, Schema> = {
  status: str(1, 256),
  arrive_id: arriveId,
  arrive_date: datetime,
  corporation_name: str(1, 256),
  applicant_name: str(3, 256),
  proc_name: str(1, 1024),
  submission_destination: str(1, 256),
  withdraw_flag: { type: 'boolean' },
  pay_status: str(1, 6),
  notice_count: int(0, 9999),
  doc_count: int(0, 9999),
  apply_pay_count: int(0, 9999),
  notice_list: noticeListApply,
  official_list: officialList,
  apply_pay_list: applyPayList,
  applied_account: str(1, 128),
};
const nameLists = {
  corporation_name_list: arr(obj([], { corporation_name: str(1, 256) })),
  applicant_name_list: arr(obj([], { applicant_name: str(3, 256) })),
};
const attachedFileList = arr(obj([], { file_name: str(1, 256), file_data: byte }));

export const SPEC_SCHEMAS = {
  // --- errors -----------------------------------------------------------
  /** components/responses/BadRequest (also 413/500/503 without report). */
  error: obj(['title', 'type', 'instance'], problemProps),
  /** BadRequest_Report: apply, amend. */
  error_report: obj(['title', 'type', 'instance'], { ...problemProps, report_list: arr(reportItem) }),
  /** BadRequest_Report_withdraw. */
  error_report_withdraw: obj(['title', 'type', 'instance'], { ...problemProps, report_list: arr(reportItemWithdraw) }),

  // --- GET /procedure/{proc_id} -----------------------------------------
  procedure_response: envelope(
    obj(['file_data', 'configuration_file_name', 'file_info'], {
      file_data: byte,
      configuration_file_name: arr(str(1, 28)),
      file_info: arr(
        obj([], {
          form_id: str(18, 18),
          form_version: int(1, 9999),
          form_name: str(1, 128),
          apply_file_name: str(1, 256),
          xsl_file_name: str(1, 256),
          server_check_file_name: str(1, 256),
          schema_file_name: str(1, 256),
          style_indication_file: str(1, 256),
        }),
      ),
    }),
  ),

  // --- POST /apply ------------------------------------------------------
  apply_request: obj(['proc_id', 'send_file'], { proc_id: procId, send_file: sendFile }),
  apply_response: envelope(
    obj(
      [
        'arrive_id',
        'arrive_date',
        'corporation_name',
        'applicant_name',
        'apply_type',
        'proc_name',
        'ministry_name',
        'submission_destination',
        'apply_form',
      ],
      {
        arrive_id: arriveId,
        arrive_date: datetime,
        corporation_name: str(1, 256),
        applicant_name: str(3, 256),
        apply_type: { type: 'string', enum: ['新規申請', '再提出'] },
        proc_name: str(1, 1024),
        ministry_name: str(1, 12),
        submission_destination: str(1, 256),
        apply_form: applyForm,
        apply_pay_list: applyPayList,
      },
    ),
    { _links: obj(['self', 'status'], { self: str(1), status: str(1) }) },
    ['_links'],
  ),

  // --- POST /apply/check ------------------------------------------------
  apply_check_request: obj(['proc_id', 'send_file'], { proc_id: procId, send_file: sendFile }),
  apply_check_response: envelope(
    obj(['message', 'error_count'], { message: { type: 'string' }, error_count: int(0, 9999), report_list: arr(reportItem) }),
  ),

  // --- GET /apply/lists -------------------------------------------------
  /** Note: resultset and _links sit beside results (not inside), as the spec's schema says. */
  apply_lists_response: obj(['metadata', 'resultset', 'results', '_links'], {
    metadata,
    resultset: resultSet,
    results: obj([], {
      apply_list: arr(
        obj([], {
          no: int(1, 9999),
          send_number: str(1, 18),
          send_date: { type: 'string', minLength: 1, maxLength: 19 },
          ...applyDetailProps,
        }),
      ),
    }),
    _links: obj(['self'], { self: str(1), previous: str(1), next: str(1) }),
  }),

  // --- GET /apply/{arrive_id} -------------------------------------------
  apply_detail_response: envelope(
    obj(
      [
        'status',
        'arrive_id',
        'arrive_date',
        'corporation_name',
        'applicant_name',
        'proc_name',
        'submission_destination',
        'withdraw_flag',
        'pay_status',
        'notice_count',
        'doc_count',
        'apply_pay_count',
      ],
      applyDetailProps,
    ),
  ),

  // --- POST /apply/amend ------------------------------------------------
  apply_amend_request: obj(['arrive_id', 'send_file'], { arrive_id: arriveId, send_file: sendFile }),
  apply_amend_response: envelope(obj(['arrive_id', 'amend_date'], { arrive_id: arriveId, amend_date: datetime })),

  // --- POST /apply/withdraw ---------------------------------------------
  apply_withdraw_request: obj(['arrive_id', 'send_file'], { arrive_id: arriveId, send_file: sendFile }),
  apply_withdraw_response: envelope(
    obj(['arrive_id', 'withdraw_date', 'applicant_name', 'proc_name', 'ministry_name'], {
      arrive_id: arriveId,
      withdraw_date: datetime,
      corporation_name: str(1, 256),
      applicant_name: str(3, 256),
      proc_name: str(1, 1024),
      ministry_name: str(1, 12),
      submission_destination: str(1, 256),
    }),
  ),

  // --- GET /notice/{arrive_id}/{notice_sub_id} --------------------------
  notice_response: envelope(
    obj(['notice'], {
      notice: obj(['issuer_organization', 'notice_issue_date', 'notice_title', 'proc_name'], {
        issuer_organization: str(1, 256),
        notice_issue_date: datetime,
        notice_type: str(2, 4),
        correct_type: str(1, 10),
        correct_expired_date: date,
        correct_completed_date: datetime,
        notice_title: str(1, 256),
        notice_sentence: str(1, 512),
        attached_file_list: attachedFileList,
        ...nameLists,
        proc_name: str(1, 1024),
        notified_account: str(1, 128),
      }),
    }),
  ),

  // --- GET /official_document/{arrive_id}/{notice_sub_id} ---------------
  official_document_response: envelope(
    obj(['file_data', 'file_name_list'], { file_data: byte, file_name_list: arr(obj(['file_name'], { file_name: str(1, 256) })) }),
    { _links: obj(['self', 'complete'], { self: str(1), complete: str(1) }) },
    ['_links'],
  ),

  // --- POST /official_document ------------------------------------------
  official_document_complete_request: obj(['arrive_id', 'notice_sub_id'], { arrive_id: arriveId, notice_sub_id: noticeSubId }),
  official_document_complete_response: envelope(
    obj(['arrive_id', 'notice_sub_id', 'proc_name', 'doc_title', 'download_date', 'file_name_list'], {
      arrive_id: arriveId,
      notice_sub_id: noticeSubId,
      proc_name: str(1, 1024),
      doc_title: str(1, 256),
      download_date: datetime,
      file_name_list: arr(obj(['file_name'], { file_name: str(1, 256) })),
    }),
  ),

  // --- account server (/auth) -------------------------------------------
  /** results_token: every member is required by the spec. */
  token_response: obj(
    [
      'access_token',
      'expires_in',
      'refresh_expires_in',
      'refresh_token',
      'token_type',
      'scope',
      'id_token',
      'not-before-policy',
      'session_state',
    ],
    {
      access_token: { type: 'string' },
      expires_in: { type: 'integer' },
      refresh_expires_in: { type: 'integer' },
      refresh_token: { type: 'string' },
      token_type: { type: 'string', const: 'Bearer' },
      id_token: { type: 'string' },
      'not-before-policy': { type: 'integer' },
      session_state: { type: 'string' },
      scope: { type: 'string' },
    },
  ),
  introspect_response: obj(['active'], {
    exp: { type: 'integer' },
    iat: { type: 'integer' },
    auth_time: { type: 'integer' },
    jti: { type: 'string' },
    iss: { type: 'string' },
    aud: { type: 'string' },
    sub: { type: 'string' },
    typ: { type: 'string' },
    azp: { type: 'string' },
    session_state: { type: 'string' },
    email: { type: 'string' },
    email_verified: { type: 'boolean' },
    acr: { type: 'string' },
    scope: { type: 'string' },
    sid: { type: 'string' },
    egov_idp: { type: 'string' },
    egov_extidp_auth_time: { type: 'integer' },
    egov_gbizid_account_type: { type: 'string' },
    client_id: { type: 'string' },
    username: { type: 'string' },
    active: { type: 'boolean' },
  }),
  /** error_token (400/401/404/405/413/500 of the account server). */
  token_error: obj(['error'], { error: { type: 'string' }, error_description: { type: 'string' } }),
} as const satisfies Record<string, Schema>;

export type SpecSchemaName = keyof typeof SPEC_SCHEMAS;
