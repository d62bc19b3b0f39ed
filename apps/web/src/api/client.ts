/**
 * The one typed client for the Charlotte REST API (`/api/v1`, see
 * docs/api.md). Every call goes through {@link ApiClient.request}, which
 * - sends the session cookie (`credentials: 'same-origin'`),
 * - adds `X-CSRF-Token` on unsafe methods (the cookie is SameSite=Strict, the
 *   header is the second CSRF defence the server checks),
 * - turns `application/problem+json` answers into an {@link ApiError}.
 */

import type { components, operations } from './schema';

/**
 * The API's own shapes, generated from the server's OpenAPI document
 * (`npm run api:types` writes ./schema.d.ts; an e2e test fails when it is out
 * of date). Types below are those schemas under the names the SPA uses; a few
 * are narrowed where the document cannot say more (the login steps, the form
 * values and procedure schemas, which the procedure definitions describe).
 */
type Schemas = components['schemas'];
/** Query parameters of an operation, with `cursor: null` for "the first page". */
type QueryOf<K extends keyof operations> = operations[K] extends { parameters: { query?: infer Q } }
  ? Omit<NonNullable<Q>, 'cursor'> & { cursor?: string | null }
  : never;

export type User = Schemas['UserView'];
export type Role = User['role'];
export type UserStatus = User['status'];
export type Tenant = Schemas['TenantView'];
export type Session = Schemas['SessionView'];
export type LoginRequest = Schemas['LoginDto'];

/** The login step that opened the session (LoginResult with step `done`). */
export interface LoginDone {
  step: 'done';
  user: User;
  /** Present on password login; the key-file step may omit it. */
  tenant?: Tenant | null;
  csrfToken: string;
}
/** Answer of the key-file enrolment: the session plus the new key's id. */
export type KeyfileEnrollDone = Schemas['EnrollResult'];
export interface LoginKeyfileStep {
  step: 'keyfile';
  challenge: string;
  expiresAt: string;
}
export interface LoginEnrollKeyfileStep {
  step: 'enroll_keyfile';
  challenge: string;
  expiresAt?: string;
}
/** LoginResult of the document, told apart by `step`. */
export type LoginResponse = LoginDone | LoginKeyfileStep | LoginEnrollKeyfileStep;
/** The key-file step an SSO login (SSO plus key file) is waiting for, and whose login it is. */
export type PendingLogin = (LoginKeyfileStep | LoginEnrollKeyfileStep) & { tenant?: string; email?: string };

export type KeyfileLoginRequest = Schemas['KeyfileStepDto'];

/** EnrollStepDto, with the JWK the document leaves as an object. */
export type KeyfileEnrollRequest = Omit<Schemas['EnrollStepDto'], 'publicKeyJwk'> & {
  publicKeyJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
};

/** A registered key file (Charlotteキー); the server keeps the public key only. */
export type KeyfileInfo = Schemas['KeyDto'];
export type IssueKeyfileRequest = Schemas['IssueKeyfileDto'];

export const API_TOKEN_SCOPES = [
  'applications:read',
  'applications:write',
  'documents:read',
  'audit:read',
  'backups:read',
] as const satisfies readonly Schemas['CreateTokenDto']['scopes'][number][];
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

/** Scopes as strings: a newer server may list scopes this SPA does not know (shown as they are). */
export type ApiToken = Omit<Schemas['ApiTokenDto'], 'scopes'> & { scopes: string[] };
export type CreateApiTokenRequest = Schemas['CreateTokenDto'];
/** The token itself is in this answer only. */
export type CreatedApiToken = Schemas['CreatedTokenDto'];

/**
 * `tenant` is null for a platform operator (who has none); `loginCode` is the
 * 契約コード to log in with either way (`platform` for operators).
 */
export type AcceptInvitationResponse = Omit<Schemas['AcceptInvitationResult'], 'ok' | 'tenant'> & {
  ok: true;
  tenant: Pick<Tenant, 'code' | 'name'> | null;
};

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type ListUsersQuery = QueryOf<'UsersController_list'>;
export type Invitation = Schemas['InvitationView'];
export type CreateUserRequest = Schemas['CreateUserDto'];
export type CreateUserResponse = Schemas['CreatedUserView'];
export type UpdateUserRequest = Schemas['UpdateUserDto'];

/**
 * One entry of the tenant's tamper-evident audit trail (hash chain). `label` and `deleted` of
 * actor and target are resolved by the server when read, for the viewer (application title, user
 * name, …); they are not part of the hashed event.
 */
export type AuditEvent = Schemas['AuditEventDto'];
export type AuditTarget = Schemas['AuditTargetDto'];
export type AuditCategory = Schemas['AuditEventDto']['category'];
export type AuditOutcome = Schemas['AuditEventDto']['outcome'];
export type AuditActorType = Schemas['AuditActorDto']['type'];
export type AuditExportFormat = NonNullable<QueryOf<'AuditController_export'>['format']>;
export type ListAuditEventsQuery = QueryOf<'AuditController_list'>;
/** As {@link AuditEvent}: the members of `head` and `checkpoints` are always sent. */
export type AuditVerifyResult = Omit<Schemas['VerifyResultDto'], 'head' | 'checkpoints'> & {
  head: { seq: number; hash: string } | null;
  checkpoints: { checked: number; invalid: number };
};

export const SSO_NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
] as const satisfies readonly Schemas['SsoSettingsDto']['nameIdFormat'][];
export type SsoNameIdFormat = (typeof SSO_NAME_ID_FORMATS)[number];

/** SAML attribute names the IdP sends; adminValues of the role attribute make a user an admin. */
export type SsoAttributeMapping = Schemas['AttributeMappingDto'];

/** What the server read from one registered IdP signing certificate (the document leaves it an object). */
export interface SsoCertificateInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
}

/** The fields of the tenant's SAML single sign-on settings an admin can change. */
export type UpdateSsoSettingsRequest = Schemas['SsoSettingsDto'];
export type SsoSettingsView = Omit<Schemas['SsoSettingsView'], 'certificateInfo'> & { certificateInfo: SsoCertificateInfo[] };

/** IPアドレス制限 (tenant admin). */
export type IpAllowlist = Schemas['IpAllowlistView'];
export type IpAllowlistAppliesTo = IpAllowlist['appliesTo'];
export type UpdateIpAllowlistRequest = Schemas['IpAllowlistDto'];

// --- offices (事業所) ---------------------------------------------------------

/** An office of the tenant with its filing identifiers (stored normalised by the server). */
export type Office = Schemas['OfficeView'];

export const OFFICE_FIELDS = [
  'name',
  'address',
  'pensionOfficeCode',
  'pensionOfficeNumber',
  'employmentOfficeNumber',
  'laborInsuranceNumber',
] as const satisfies readonly (keyof Schemas['CreateOfficeDto'])[];
export type OfficeField = (typeof OFFICE_FIELDS)[number];

export type CreateOfficeRequest = Schemas['CreateOfficeDto'];
/** An empty string clears an optional field. */
export type UpdateOfficeRequest = Schemas['UpdateOfficeDto'];

/** 顧問先 (client companies) of a sharoushi tenant, and staff assignments to them. */
export type Client = Schemas['ClientView'];
export type CreateClientRequest = Schemas['CreateClientDto'];
export type UpdateClientRequest = Schemas['UpdateClientDto'];
export type ClientAssignments = Schemas['AssignmentsView'];
export type ClientRight = Schemas['ClientAssignmentDto']['rights'][number];
export const CLIENT_RIGHTS = ['draft', 'submit', 'documents', 'offices'] as const satisfies readonly ClientRight[];
export type ClientImportResult = Schemas['ClientImportResultView'];
/** 依頼: a request from a client portal user to the office. */
export type ClientRequest = Schemas['RequestView'];
export type ClientRequestStatus = ClientRequest['status'];

// --- procedures (form schemas) ---------------------------------------------------
// The procedure definitions describe these (JSON Schema with Charlotte's `x-`
// extensions); the OpenAPI document serves them as an opaque object.

export type ConditionValue = string | number | boolean;

/**
 * A condition on the form's values, as the procedure schema states it
 * (`x-required-if`). "present" means the field has a value (not undefined,
 * null or '').
 */
export type SchemaCondition =
  | { field: string; equals: ConditionValue }
  | { field: string; in: ConditionValue[] }
  | { field: string; present: boolean }
  | { all: SchemaCondition[] }
  | { any: SchemaCondition[] }
  | { not: SchemaCondition };

export interface SchemaCode {
  value: string;
  label: string;
  labelEn: string;
}

/** One field of a procedure's JSON Schema, with Charlotte's `x-` extensions. */
export interface SchemaField {
  type: 'string' | 'integer' | 'boolean';
  /** Japanese label. */
  title: string;
  /** Help text. */
  description?: string;
  /** English label and help text, when the definition has them. */
  'x-title-en'?: string;
  'x-description-en'?: string;
  enum?: ConditionValue[];
  'x-codes'?: SchemaCode[];
  pattern?: string;
  /** 'date' for ISO dates (YYYY-MM-DD). */
  format?: string;
  /** The server's format name (katakana, kanji-name, my-number, postal-code, …). */
  'x-format'?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  'x-section': string;
  'x-order': number;
  /** Shown in 和暦 next to the date. */
  'x-era-date'?: boolean;
  /** 個人番号: hidden while typed, masked outside the editor. */
  'x-sensitive'?: boolean;
  'x-required-if'?: SchemaCondition;
}

export interface SchemaSection {
  id: string;
  title: string;
  titleEn: string;
}

/** A cross-field rule: shown to the user, checked by the server only. */
export interface SchemaRule {
  kind?: string;
  message?: string;
  messageEn?: string;
  [key: string]: unknown;
}

export interface ProcedureSchema {
  type?: 'object';
  properties: Record<string, SchemaField>;
  required?: string[];
  'x-sections': SchemaSection[];
  'x-rules'?: SchemaRule[];
  /** Filing deadline, e.g. 事実発生から5日以内. */
  'x-due-rule'?: string;
  'x-due-rule-en'?: string;
}

/**
 * A procedure in its latest version (GET /procedures lists one version per
 * code). The SPA falls back to the Japanese name and the schema's due rule
 * when a definition has no English name or due rule.
 */
export type Procedure = Omit<Schemas['ProcedureView'], 'schema' | 'nameEn' | 'dueRule'> &
  Partial<Pick<Schemas['ProcedureView'], 'nameEn' | 'dueRule'>> & { schema: ProcedureSchema };

// --- applications (申請) ---------------------------------------------------------

export type ApplicationSummary = Schemas['ApplicationSummary'];
export type ApplicationStatus = ApplicationSummary['status'];

export const APPLICATION_STATUSES = [
  'draft',
  'ready',
  'awaiting_approval',
  'submitting',
  'arrived',
  'under_review',
  'correction_requested',
  'review_finished',
  'completed',
  'withdrawn',
  'failed',
] as const satisfies readonly ApplicationStatus[];

/**
 * Statuses in which the form may still be changed (an edit moves ready back to
 * draft). `correction_requested` allows edits too, but only form and title
 * and only while no 補正/取下げ is on its way: see the editor.
 */
export const EDITABLE_STATUSES: readonly ApplicationStatus[] = ['draft', 'ready'];

export function isApplicationStatus(value: unknown): value is ApplicationStatus {
  return typeof value === 'string' && (APPLICATION_STATUSES as readonly string[]).includes(value);
}

/** Form values: their shape comes from the procedure schema, not from the OpenAPI document. */
export type FormValue = string | number | boolean | null;
export type ApplicationForm = Record<string, FormValue>;

export type TimelineEntry = Schemas['TimelineEntry'];
export type Attachment = Schemas['AttachmentView'];
/** A notice e-Gov sent about one application (補正, 取下げ, お知らせ, …). */
export type EgovNotice = Schemas['EgovCaseNoticeDto'];
/** The latest 補正 (amend) or 取下げ (withdraw) request sent to e-Gov for an application. */
export type ApplicationAction = Schemas['EgovActionDto'];
export type ApplicationActionKind = ApplicationAction['kind'];
export type ApplicationActionState = ApplicationAction['state'];

/** Statuses from which an application may be withdrawn (取下げ). */
export const WITHDRAWABLE_STATUSES: readonly ApplicationStatus[] = ['arrived', 'under_review', 'correction_requested'];

export type ApplicationDetail = Omit<Schemas['ApplicationDetail'], 'form'> & {
  /** 個人番号 masked (********1234) unless loaded with `unmask: true`. */
  form: ApplicationForm;
};

/** 202 answer of POST /applications/:id/amend and /withdraw. */
export type ActionAccepted = Schemas['EgovActionAcceptedView'];
/** 202 answer of POST /applications/:id/submit. */
export type SubmitResult = Schemas['SubmitAcceptedView'];
/** 承認フロー: the tenant's approval routes, and one approval request with its steps and decisions. */
export type ApprovalRoutes = Schemas['ApprovalRoutesView'];
export type ApprovalRoute = Schemas['ApprovalRouteView'];
export type ApprovalRoutesRequest = Schemas['ApprovalRoutesDto'];
export type ApprovalAction = ApprovalRoute['appliesTo'][number];
export type ApprovalMode = ApprovalRoute['steps'][number]['mode'];
export type Approval = Schemas['ApprovalView'];
export type ApprovalStatus = Approval['status'];
/** A 公文書 (official document) the government issued for an application. */
export type ApplicationDocument = Schemas['DocumentDto'];

// --- e-Gov account and notices ---------------------------------------------------

/** Whether the tenant's e-Gov account is linked (GET /egov/account). */
export type EgovAccount = Schemas['EgovAccountView'];
export type SigningCertificate = Schemas['SigningCertificateView'];
export type SigningCertificates = Schemas['SigningCertificatesView'];
export type ProxyCertificate = Schemas['ProxyCertificateView'];
export type EgovSettings = Schemas['EgovSettingsView'];
export type NotificationSettings = Schemas['NotificationSettingsView'];
export type NoticeKind = Schemas['NoticeDto']['kind'];
/** `kind` as a string: a newer server may send kinds this SPA does not know (one of {@link NOTICE_KINDS} otherwise). */
export type Notice = Omit<Schemas['NoticeDto'], 'kind'> & { kind: string };
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
  'incident',
  'ip_allowlist_disabled',
  'webhook_disabled',
  'approval_requested',
  'approval_approved',
  'approval_sent_back',
  'approval_cancelled',
  'client_request_created',
  'client_request_closed',
] as const satisfies readonly NoticeKind[];
/** One page of GET /notices (unread first, then newest first), with the user's unread count. */
export type NoticeList = Omit<Schemas['NoticeListView'], 'items'> & { items: Notice[] };
export type ListNoticesQuery = QueryOf<'NoticesController_list'>;

export type ListApplicationsQuery = QueryOf<'ApplicationsController_list'>;
export type CreateApplicationRequest = Omit<Schemas['CreateApplicationDto'], 'form'> & { form?: ApplicationForm };
export type UpdateApplicationRequest = Omit<Schemas['UpdateApplicationDto'], 'form'> & {
  /** The whole form: it replaces the stored one. */
  form?: ApplicationForm;
};
export type ValidationIssue = Schemas['FieldErrorView'];
export type ValidationResult = Schemas['ValidationResultView'];

export interface UploadOptions {
  /** Called with bytes sent so far and the total while the request body goes up. */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * One entry of problem+json `errors[]` (ProblemFieldErrorView), translated by
 * useApiError's translateFieldError. `code` is optional here: an answer that
 * did not come from our validation (a proxy, an older server) may lack it.
 */
export type FieldError = Omit<Schemas['ProblemFieldErrorView'], 'code'> & { code?: string };

/** RFC 9457 problem details as the API sends them. */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: FieldError[];
}

/** Client-side codes for failures that never reached a problem+json answer. */
export const NETWORK_ERROR = 'network_error';
export const UNEXPECTED_RESPONSE = 'unexpected_response';
/** The tenant's contract has ended (解約): its logins, sessions and tokens answer 403 with this code. */
export const CONTRACT_CANCELLED = 'contract_cancelled';
/** The tenant's IP allow-list refuses this address: sessions, tokens and logins answer 403 with this code. */
export const IP_NOT_ALLOWED = 'ip_not_allowed';
/** The 顧問先ポータル of a client portal user's company was turned off: their logins and sessions answer 403 with this code. */
export const PORTAL_DISABLED = 'portal_disabled';

/** Codes assumed when an answer carries no `code` (e.g. a proxy's error page). */
const STATUS_CODES: Readonly<Record<number, string>> = {
  0: NETWORK_ERROR,
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  429: 'rate_limited',
};

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly title: string | undefined;
  readonly detail: string | undefined;
  readonly errors: FieldError[];

  constructor(status: number, problem: ProblemDetails) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem.code ?? STATUS_CODES[status] ?? UNEXPECTED_RESPONSE;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const UNSAFE: ReadonlySet<Method> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | null | undefined>;
  /** Extra request headers (e.g. Idempotency-Key). */
  headers?: Record<string, string>;
}

export interface ApiClientOptions {
  baseUrl?: string;
}

export class ApiClient {
  private csrfToken: string | null = null;
  private readonly baseUrl: string;
  /**
   * Called when an authenticated call answers 401 (the session expired or was
   * revoked), so the app can send the user back to the login page.
   */
  onUnauthenticated: ((error: ApiError) => void) | null = null;
  /**
   * Called when a call answers 403 `contract_cancelled` (the tenant's
   * contract ended while the session was open), so the app can end the
   * session and say why. Not for /auth/ paths: the login page reports those.
   */
  onContractCancelled: ((error: ApiError) => void) | null = null;

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? '/api/v1';
  }

  setCsrfToken(token: string | null): void {
    this.csrfToken = token;
  }

  getCsrfToken(): string | null {
    return this.csrfToken;
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { ...options.headers, Accept: 'application/json' };
    let body: string | FormData | undefined;
    if (typeof FormData !== 'undefined' && options.body instanceof FormData) {
      // multipart/form-data: the browser sets the Content-Type with its boundary.
      body = options.body;
    } else if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    // Only unsafe methods carry the token: GETs must stay side-effect free and
    // the token should not end up in caches or logs of read requests.
    if (UNSAFE.has(method) && this.csrfToken) {
      headers['X-CSRF-Token'] = this.csrfToken;
    }

    let response: Response;
    try {
      response = await fetch(this.baseUrl + path + buildQuery(options.query), {
        method,
        headers,
        body,
        credentials: 'same-origin',
      });
    } catch (cause) {
      const error = new ApiError(0, { code: NETWORK_ERROR, detail: String(cause) });
      throw error;
    }

    if (!response.ok) {
      const error = new ApiError(response.status, await readProblem(response));
      if (response.status === 401 && !path.startsWith('/auth/')) {
        this.onUnauthenticated?.(error);
      }
      if (response.status === 403 && error.code === CONTRACT_CANCELLED && !path.startsWith('/auth/')) {
        this.onContractCancelled?.(error);
      }
      throw error;
    }
    if (response.status === 204) {
      return undefined as T;
    }
    const text = await response.text();
    if (text === '') {
      return undefined as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, {
        code: UNEXPECTED_RESPONSE,
        detail: 'The server answered with a body that is not JSON.',
      });
    }
  }

  // --- auth -----------------------------------------------------------------

  login(body: LoginRequest): Promise<LoginResponse> {
    return this.request('POST', '/auth/login', { body });
  }

  getSession(): Promise<Session> {
    return this.request('GET', '/auth/session');
  }

  logout(): Promise<void> {
    return this.request('POST', '/auth/logout');
  }

  acceptInvitation(body: { token: string; password: string }): Promise<AcceptInvitationResponse> {
    return this.request('POST', '/auth/invitations/accept', { body });
  }

  /**
   * The key-file step of an SSO login that is waiting for it (pending-session
   * cookie set by the SAML ACS); 401 `no_pending_login` when there is none.
   */
  getPendingLogin(): Promise<PendingLogin> {
    return this.request('GET', '/auth/login/pending');
  }

  /**
   * Where the browser starts a SAML login. A navigation, not fetch: the server
   * answers with a redirect to the tenant's IdP. `returnTo` is a path of this
   * SPA the server sends the browser back to afterwards (it checks it again).
   */
  samlLoginUrl(tenantCode: string, returnTo?: string): string {
    const code = encodeURIComponent(tenantCode.trim().toLowerCase());
    const query = returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : '';
    return `${this.baseUrl}/auth/saml/${code}/login${query}`;
  }

  /** Second factor: the signed challenge (pending-session cookie, no CSRF token yet). */
  loginWithKeyfile(body: KeyfileLoginRequest): Promise<LoginDone> {
    return this.request('POST', '/auth/keyfile', { body });
  }

  enrollKeyfile(body: KeyfileEnrollRequest): Promise<KeyfileEnrollDone> {
    return this.request('POST', '/auth/keyfile/enroll', { body });
  }

  // --- own key files -----------------------------------------------------------

  listMyKeyfiles(): Promise<Schemas['KeyListDto']> {
    return this.request('GET', '/me/keyfiles');
  }

  revokeMyKeyfile(keyId: string): Promise<void> {
    return this.request('DELETE', `/me/keyfiles/${encodeURIComponent(keyId)}`);
  }

  // --- users (tenant admin) -------------------------------------------------

  listUsers(query: ListUsersQuery = {}): Promise<Page<User>> {
    return this.request('GET', '/users', {
      query: { limit: query.limit ?? 50, cursor: query.cursor, q: query.q || undefined },
    });
  }

  createUser(body: CreateUserRequest): Promise<CreateUserResponse> {
    return this.request('POST', '/users', { body });
  }

  updateUser(id: string, body: UpdateUserRequest): Promise<User> {
    return this.request('PATCH', `/users/${encodeURIComponent(id)}`, { body });
  }

  reissueInvitation(id: string): Promise<Invitation> {
    return this.request('POST', `/users/${encodeURIComponent(id)}/invite`);
  }

  listUserKeyfiles(userId: string): Promise<Schemas['KeyListDto']> {
    return this.request('GET', `/users/${encodeURIComponent(userId)}/keyfiles`);
  }

  /** Answers the key file itself, once: the server forgets the private key. */
  issueUserKeyfile(userId: string, body: IssueKeyfileRequest): Promise<unknown> {
    return this.request('POST', `/users/${encodeURIComponent(userId)}/keyfiles`, { body });
  }

  revokeUserKeyfile(userId: string, keyId: string): Promise<void> {
    return this.request('DELETE', `/users/${encodeURIComponent(userId)}/keyfiles/${encodeURIComponent(keyId)}`);
  }

  /** Revokes every key of the user and lets them enrol a new one at next login. */
  resetUserKeyfiles(userId: string): Promise<Schemas['KeyfileResetView']> {
    return this.request('POST', `/users/${encodeURIComponent(userId)}/keyfile-reset`);
  }

  // --- API tokens (tenant admin) ------------------------------------------------

  listApiTokens(): Promise<{ items: ApiToken[] }> {
    return this.request('GET', '/api-tokens');
  }

  createApiToken(body: CreateApiTokenRequest): Promise<CreatedApiToken> {
    return this.request('POST', '/api-tokens', { body });
  }

  revokeApiToken(id: string): Promise<void> {
    return this.request('DELETE', `/api-tokens/${encodeURIComponent(id)}`);
  }

  // --- IP allow-list (tenant admin) ------------------------------------------

  getIpAllowlist(): Promise<IpAllowlist> {
    return this.request('GET', '/tenant/ip-allowlist');
  }

  /** 409 would_lock_out when the list excludes the caller's address, unless confirmOwnAddress. */
  updateIpAllowlist(body: UpdateIpAllowlistRequest): Promise<IpAllowlist> {
    return this.request('PUT', '/tenant/ip-allowlist', { body });
  }

  // --- approval routes (承認フロー) -------------------------------------------

  getApprovalRoutes(): Promise<ApprovalRoutes> {
    return this.request('GET', '/approval-routes');
  }

  /** Replaces every route; 400 validation_failed names the approver or route at fault. */
  updateApprovalRoutes(body: ApprovalRoutesRequest): Promise<ApprovalRoutes> {
    return this.request('PUT', '/approval-routes', { body });
  }

  /**
   * `assigned: 'me'`: waiting for my decision, oldest first; `applicationId`: the requests of one application,
   * newest first. One page of `limit` (1–100, default 50); `nextCursor` fetches the next.
   */
  listApprovals(
    query: { assigned?: 'me'; applicationId?: string; limit?: number; cursor?: string | null } = {},
  ): Promise<{ items: Approval[]; nextCursor: string | null }> {
    const { cursor, ...rest } = query;
    return this.request('GET', '/approvals', { query: cursor ? { ...rest, cursor } : rest });
  }

  getApproval(id: string): Promise<Approval> {
    return this.request('GET', `/approvals/${encodeURIComponent(id)}`);
  }

  approve(id: string, comment?: string): Promise<Approval> {
    return this.request('POST', `/approvals/${encodeURIComponent(id)}/approve`, { body: comment ? { comment } : {} });
  }

  sendBack(id: string, comment: string): Promise<Approval> {
    return this.request('POST', `/approvals/${encodeURIComponent(id)}/send-back`, { body: { comment } });
  }

  /** 取り下げ by the requester: the request is cancelled (a submission's application is a draft again). */
  cancelApproval(id: string): Promise<Approval> {
    return this.request('POST', `/approvals/${encodeURIComponent(id)}/cancel`, { body: {} });
  }

  // --- single sign-on (tenant admin) -----------------------------------------

  getSsoSettings(): Promise<SsoSettingsView> {
    return this.request('GET', '/tenant/sso');
  }

  updateSsoSettings(body: UpdateSsoSettingsRequest): Promise<SsoSettingsView> {
    return this.request('PUT', '/tenant/sso', { body });
  }

  /** Takes the entity id, SSO URL and certificates from the IdP's metadata XML. */
  importSsoMetadata(xml: string): Promise<SsoSettingsView> {
    return this.request('PUT', '/tenant/sso/metadata', { body: { xml } });
  }

  /** The admin agrees that their next SSO login (within an hour) may link this account to the IdP. */
  confirmSsoLink(): Promise<Schemas['SsoLinkConfirmationView']> {
    return this.request('POST', '/tenant/sso/link-confirmation');
  }

  // --- audit trail (tenant admin) -------------------------------------------

  listAuditEvents(query: ListAuditEventsQuery = {}): Promise<Page<AuditEvent>> {
    return this.request('GET', '/audit-events', {
      query: {
        category: query.category,
        action: query.action,
        actor: query.actor,
        from: query.from,
        to: query.to,
        limit: query.limit ?? 50,
        cursor: query.cursor,
      },
    });
  }

  getAuditEvent(id: string): Promise<AuditEvent> {
    return this.request('GET', `/audit-events/${encodeURIComponent(id)}`);
  }

  verifyAuditEvents(): Promise<AuditVerifyResult> {
    return this.request('GET', '/audit-events/verify');
  }

  /**
   * Where the browser downloads the whole chain from. A plain link (not fetch):
   * the same-origin session cookie goes along and the server's
   * Content-Disposition turns the answer into a file.
   */
  auditExportUrl(format: AuditExportFormat): string {
    return `${this.baseUrl}/audit-events/export${buildQuery({ format })}`;
  }
  // --- 顧問先 (clients) -------------------------------------------------------------

  /** The clients the caller sees (staff: their assigned ones); empty in a company tenant. */
  listClients(): Promise<Schemas['ClientListView']> {
    return this.request('GET', '/clients');
  }

  getClient(id: string): Promise<Client> {
    return this.request('GET', `/clients/${encodeURIComponent(id)}`);
  }

  /** Admins. 409 `client_code_taken`, `not_sharoushi`. */
  createClient(body: CreateClientRequest): Promise<Client> {
    return this.request('POST', '/clients', { body });
  }

  /** Admins. With `version`, 409 `version_conflict` when changed meanwhile. */
  updateClient(id: string, body: UpdateClientRequest): Promise<Client> {
    return this.request('PATCH', `/clients/${encodeURIComponent(id)}`, { body });
  }

  /** Admins. 409 `client_in_use` while the client has offices. */
  deleteClient(id: string): Promise<void> {
    return this.request('DELETE', `/clients/${encodeURIComponent(id)}`);
  }

  /** Admins: clients and offices from a CSV file; 422 `import_invalid` with `errors[].row` and nothing created. */
  importClients(file: File): Promise<ClientImportResult> {
    const body = new FormData();
    body.append('file', file, file.name);
    return this.request('POST', '/clients/import', { body });
  }

  /** A client's portal users (admins and the staff who see the client). */
  listClientUsers(clientId: string): Promise<Schemas['ClientUserListView']> {
    return this.request('GET', `/clients/${encodeURIComponent(clientId)}/users`);
  }

  /** Invites a portal user (a one-time link). 409 `portal_disabled` while the portal is off, `email_taken`. */
  inviteClientUser(clientId: string, body: Schemas['InviteClientUserDto']): Promise<CreateUserResponse> {
    return this.request('POST', `/clients/${encodeURIComponent(clientId)}/users`, { body });
  }

  // --- 依頼 (requests from client portal users) -------------------------------------

  listRequests(
    query: { status?: ClientRequestStatus; clientId?: string; limit?: number; cursor?: string } = {},
  ): Promise<Page<ClientRequest>> {
    return this.request('GET', '/requests', {
      query: { status: query.status, clientId: query.clientId, limit: query.limit ?? 50, cursor: query.cursor },
    });
  }

  /** Client portal users only (403 `portal_users_only` for the office). */
  createRequest(body: Schemas['CreateRequestDto']): Promise<ClientRequest> {
    return this.request('POST', '/requests', { body });
  }

  closeRequest(id: string): Promise<ClientRequest> {
    return this.request('POST', `/requests/${encodeURIComponent(id)}/close`);
  }

  getAssignments(userId: string): Promise<ClientAssignments> {
    return this.request('GET', `/users/${encodeURIComponent(userId)}/assignments`);
  }

  setAssignments(userId: string, body: Schemas['AssignmentsDto']): Promise<ClientAssignments> {
    return this.request('PUT', `/users/${encodeURIComponent(userId)}/assignments`, { body });
  }

  // --- offices -------------------------------------------------------------------

  /** The offices the caller sees; of one client with `clientId`. */
  listOffices(query: { clientId?: string } = {}): Promise<Schemas['OfficeListView']> {
    return this.request('GET', '/offices', { query: { clientId: query.clientId } });
  }

  createOffice(body: CreateOfficeRequest): Promise<Office> {
    return this.request('POST', '/offices', { body });
  }

  getOffice(id: string): Promise<Office> {
    return this.request('GET', `/offices/${encodeURIComponent(id)}`);
  }

  /** 409 `version_conflict` when someone changed the office since `version` was read. */
  updateOffice(id: string, body: UpdateOfficeRequest): Promise<Office> {
    return this.request('PATCH', `/offices/${encodeURIComponent(id)}`, { body });
  }

  // --- procedures ------------------------------------------------------------------

  listProcedures(): Promise<{ items: Procedure[] }> {
    return this.request('GET', '/procedures');
  }

  // --- applications ----------------------------------------------------------------

  listApplications(query: ListApplicationsQuery = {}): Promise<Page<ApplicationSummary>> {
    return this.request('GET', '/applications', {
      query: {
        status: query.status,
        due: query.due,
        officeId: query.officeId,
        procedure: query.procedure,
        clientId: query.clientId,
        from: query.from,
        to: query.to,
        limit: query.limit ?? 50,
        cursor: query.cursor,
      },
    });
  }

  createApplication(body: CreateApplicationRequest): Promise<ApplicationDetail> {
    return this.request('POST', '/applications', { body });
  }

  /**
   * `unmask: true` answers the 個人番号 in clear: only when the user clicks 表示
   * for it in the editor (the server audits every such request). Opening an
   * application, refreshing and polling all take the masked form.
   */
  getApplication(id: string, options: { unmask?: boolean } = {}): Promise<ApplicationDetail> {
    return this.request('GET', `/applications/${encodeURIComponent(id)}`, {
      query: { unmask: options.unmask ? 'sensitive' : undefined },
    });
  }

  /**
   * 409 `version_conflict` (changed meanwhile) or `not_editable`; while a 補正
   * is due also `office_locked` (the office cannot change) and
   * `action_in_progress`; 400 with `form.<field>` errors.
   */
  updateApplication(id: string, body: UpdateApplicationRequest): Promise<ApplicationDetail> {
    return this.request('PATCH', `/applications/${encodeURIComponent(id)}`, { body });
  }

  /** Drafts and ready applications only. With `version`, a stale one answers 409. */
  deleteApplication(id: string, version?: number): Promise<void> {
    return this.request('DELETE', `/applications/${encodeURIComponent(id)}`, { query: { version } });
  }

  validateApplication(id: string): Promise<ValidationResult> {
    return this.request('POST', `/applications/${encodeURIComponent(id)}/validate`);
  }

  /**
   * Uploads one file (multipart field `file`). XMLHttpRequest rather than
   * fetch: fetch cannot report upload progress. Same rules as
   * {@link ApiClient.request}: session cookie, X-CSRF-Token, problem+json
   * answers become an {@link ApiError} (422 malware_detected, 413
   * payload_too_large, 415 unsupported_file_type, 503 scanner_unavailable).
   */
  uploadAttachment(applicationId: string, file: File, options: UploadOptions = {}): Promise<Attachment> {
    const path = `/applications/${encodeURIComponent(applicationId)}/attachments`;
    return new Promise<Attachment>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', this.baseUrl + path);
      xhr.setRequestHeader('Accept', 'application/json');
      // The same second CSRF defence as every other unsafe request.
      if (this.csrfToken) xhr.setRequestHeader('X-CSRF-Token', this.csrfToken);
      // No Content-Type: the browser sets multipart/form-data with its boundary.

      const onAbort = (): void => xhr.abort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => options.signal?.removeEventListener('abort', onAbort);

      xhr.upload.addEventListener('progress', (event: ProgressEvent) => {
        if (event.lengthComputable) options.onProgress?.(event.loaded, event.total);
      });
      xhr.addEventListener('load', () => {
        done();
        const text = typeof xhr.responseText === 'string' ? xhr.responseText : '';
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve(JSON.parse(text) as Attachment);
          } catch {
            reject(new ApiError(xhr.status, { code: UNEXPECTED_RESPONSE, detail: 'The server answered with a body that is not JSON.' }));
          }
          return;
        }
        const error = new ApiError(xhr.status, problemOf(xhr.status, xhr.getResponseHeader('Content-Type') ?? '', text, xhr.statusText));
        if (xhr.status === 401) this.onUnauthenticated?.(error);
        reject(error);
      });
      xhr.addEventListener('error', () => {
        done();
        reject(new ApiError(0, { code: NETWORK_ERROR, detail: 'The upload failed before the server answered.' }));
      });
      xhr.addEventListener('abort', () => {
        done();
        reject(new ApiError(0, { code: 'aborted', detail: 'The upload was cancelled.' }));
      });

      const body = new FormData();
      body.append('file', file, file.name);
      xhr.send(body);
    });
  }

  /**
   * Sends a ready application to e-Gov (202, status `submitting`). The same
   * `idempotencyKey` on a retry makes a second submission impossible.
   * 409 `egov_not_linked`, `not_ready`, `already_submitted`; 422 `package_invalid`.
   */
  submitApplication(id: string, idempotencyKey: string): Promise<SubmitResult> {
    return this.request('POST', `/applications/${encodeURIComponent(id)}/submit`, {
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  /**
   * Sends the corrected application to e-Gov as a 補正 (202, the action is
   * `pending`). `version` is the one the user saw; the same `idempotencyKey`
   * on a retry cannot send it twice. 409 `not_correctable`,
   * `action_in_progress`, `version_conflict`, `egov_not_linked`; 422
   * `validation_failed` (errors by `form.<field>`), `package_invalid`.
   */
  amendApplication(id: string, version: number, idempotencyKey: string): Promise<ActionAccepted> {
    return this.request('POST', `/applications/${encodeURIComponent(id)}/amend`, {
      body: { version },
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  /**
   * Asks e-Gov to withdraw (取下げ) an arrived application (202). `reason`:
   * 1–1000 characters. 409 `not_withdrawable`, `action_in_progress`,
   * `egov_not_linked`; 400 `validation_failed`.
   */
  withdrawApplication(id: string, reason: string, idempotencyKey: string): Promise<ActionAccepted> {
    return this.request('POST', `/applications/${encodeURIComponent(id)}/withdraw`, {
      body: { reason },
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  /**
   * A failed filing back to draft, to fix and submit again. 409
   * `outcome_unknown` when e-Gov may have received it: ask the user to check
   * and call again with `confirmNotReceived`.
   */
  reopenApplication(id: string, confirmNotReceived = false): Promise<Schemas['ReopenedView']> {
    return this.request('POST', `/applications/${encodeURIComponent(id)}/reopen`, {
      body: confirmNotReceived ? { confirmNotReceived: true } : {},
    });
  }

  listDocuments(applicationId: string): Promise<Schemas['DocumentListView']> {
    return this.request('GET', `/applications/${encodeURIComponent(applicationId)}/documents`);
  }

  /** Where the browser downloads a 公文書 from; `inline` shows a PDF in the browser instead. */
  documentUrl(applicationId: string, documentId: string, options: { inline?: boolean } = {}): string {
    const path = `${this.baseUrl}/applications/${encodeURIComponent(applicationId)}/documents/${encodeURIComponent(documentId)}`;
    return options.inline ? `${path}?inline=1` : path;
  }

  // --- e-Gov account ---------------------------------------------------------------

  getEgovAccount(): Promise<EgovAccount> {
    return this.request('GET', '/egov/account');
  }

  /** Admins: where to send the browser for the e-Gov login that links the account. */
  linkEgov(): Promise<Schemas['EgovLinkView']> {
    return this.request('POST', '/egov/link');
  }

  /** Admins: unlinks the tenant's e-Gov account (204). */
  unlinkEgov(): Promise<void> {
    return this.request('DELETE', '/egov/account');
  }

  // --- signing certificate and 提出代行証明書 ---------------------------------------

  /** The tenant's e-signature certificate (metadata only) and its history. */
  getSigningCertificates(): Promise<SigningCertificates> {
    return this.request('GET', '/signing-certificates');
  }

  /**
   * Admins: registers a PKCS#12 file with its PIN (the current certificate is replaced). 422
   * signing_certificate_bad_pin / _unreadable / _expired / _key_unsupported / _mismatch; 413 payload_too_large.
   */
  uploadSigningCertificate(file: File, pin: string): Promise<SigningCertificate> {
    const body = new FormData();
    body.append('pin', pin);
    body.append('file', file, file.name);
    return this.request('POST', '/signing-certificates', { body });
  }

  /** Admins: removes the current certificate (its private key is erased). */
  removeSigningCertificate(): Promise<void> {
    return this.request('DELETE', '/signing-certificates/current');
  }

  async getProxyCertificate(officeId: string): Promise<ProxyCertificate | null> {
    const r: Schemas['ProxyCertificateStatusView'] = await this.request(
      'GET',
      `/offices/${encodeURIComponent(officeId)}/proxy-certificate`,
    );
    return r.certificate ?? null;
  }

  /** Admins: stores or replaces the office's 提出代行証明書 (PDF or XML; scanned like attachments). */
  uploadProxyCertificate(officeId: string, file: File): Promise<ProxyCertificate> {
    const body = new FormData();
    body.append('file', file, file.name);
    return this.request('PUT', `/offices/${encodeURIComponent(officeId)}/proxy-certificate`, { body });
  }

  removeProxyCertificate(officeId: string): Promise<void> {
    return this.request('DELETE', `/offices/${encodeURIComponent(officeId)}/proxy-certificate`);
  }

  /** Admins: 試行モード on or off (filings are then only checked by e-Gov, never filed). */
  updateEgovSettings(body: Schemas['UpdateEgovSettingsDto']): Promise<EgovSettings> {
    return this.request('PUT', '/egov/settings', { body });
  }

  // --- notification settings (the user's own mails) -------------------------------

  getNotificationSettings(): Promise<NotificationSettings> {
    return this.request('GET', '/me/notification-settings');
  }

  updateNotificationSettings(body: Schemas['UpdateNotificationSettingsDto']): Promise<NotificationSettings> {
    return this.request('PUT', '/me/notification-settings', { body });
  }

  // --- notices ---------------------------------------------------------------------

  /** One page of the user's お知らせ; `cursor` is the previous page's nextCursor. */
  listNotices(query: ListNoticesQuery = {}): Promise<NoticeList> {
    return this.request('GET', '/notices', { query: { limit: query.limit, cursor: query.cursor } });
  }

  markNoticeRead(id: string): Promise<void> {
    return this.request('POST', `/notices/${encodeURIComponent(id)}/read`);
  }

  markAllNoticesRead(): Promise<Schemas['NoticesReadAllView']> {
    return this.request('POST', '/notices/read-all');
  }

  /** Where the browser downloads an attachment from (a plain link with `download`). */
  attachmentUrl(applicationId: string, attachmentId: string): string {
    return `${this.baseUrl}/applications/${encodeURIComponent(applicationId)}/attachments/${encodeURIComponent(attachmentId)}`;
  }

  deleteAttachment(applicationId: string, attachmentId: string): Promise<void> {
    return this.request('DELETE', `/applications/${encodeURIComponent(applicationId)}/attachments/${encodeURIComponent(attachmentId)}`);
  }
}

function buildQuery(query: RequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(key, String(value));
    }
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function readProblem(response: Response): Promise<ProblemDetails> {
  const type = response.headers.get('Content-Type') ?? '';
  if (type.includes('json')) {
    try {
      const parsed: unknown = await response.json();
      if (parsed && typeof parsed === 'object') {
        return { status: response.status, ...(parsed as ProblemDetails) };
      }
    } catch {
      // A proxy error page that claims JSON: fall through to the generic problem.
    }
  }
  return { status: response.status, title: response.statusText || undefined };
}

/** The problem details of an XMLHttpRequest answer (same rules as {@link readProblem}). */
function problemOf(status: number, contentType: string, text: string, statusText: string): ProblemDetails {
  if (contentType.includes('json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') return { status, ...(parsed as ProblemDetails) };
    } catch {
      // A proxy error page that claims JSON: fall through to the generic problem.
    }
  }
  return { status, title: statusText || undefined };
}

/** The application's client; tests build their own instances. */
export const api = new ApiClient();
