/**
 * The one typed client for the Charlotte REST API (`/api/v1`, see
 * docs/api.md). Every call goes through {@link ApiClient.request}, which
 * - sends the session cookie (`credentials: 'same-origin'`),
 * - adds `X-CSRF-Token` on unsafe methods (the cookie is SameSite=Strict, the
 *   header is the second CSRF defence the server checks),
 * - turns `application/problem+json` answers into an {@link ApiError}.
 */

export type Role = 'admin' | 'member' | 'operator';
export type UserStatus = 'invited' | 'active' | 'disabled';

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  status: UserStatus;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Tenant {
  id: string;
  code: string;
  name: string;
}

export interface Session {
  user: User;
  /** null for platform operators */
  tenant: Tenant | null;
  csrfToken: string;
}

export interface LoginRequest {
  tenant: string;
  email: string;
  password: string;
}

export interface LoginDone {
  step: 'done';
  user: User;
  /** Present on password login; the key-file step may omit it. */
  tenant?: Tenant | null;
  csrfToken: string;
}
/** Answer of the key-file enrolment: the session plus the new key's id. */
export interface KeyfileEnrollDone extends LoginDone {
  keyId: string;
}
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
export type LoginResponse = LoginDone | LoginKeyfileStep | LoginEnrollKeyfileStep;
/** The key-file step an SSO login (SSO plus key file) is waiting for, and whose login it is. */
export type PendingLogin = (LoginKeyfileStep | LoginEnrollKeyfileStep) & { tenant?: string; email?: string };

export interface KeyfileLoginRequest {
  keyId: string;
  /** ES256 raw r‖s over `charlotte-login:v1:<challenge>`, base64url. */
  signature: string;
}

export interface KeyfileEnrollRequest {
  publicKeyJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  label: string;
  signature: string;
}

/** A registered key file (Charlotteキー); the server keeps the public key only. */
export interface KeyfileInfo {
  keyId: string;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  issuedBy: 'self' | 'admin';
}

export interface IssueKeyfileRequest {
  label: string;
  passphrase?: string;
}

export const API_TOKEN_SCOPES = ['applications:read', 'applications:write', 'documents:read', 'audit:read'] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

export interface ApiToken {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreateApiTokenRequest {
  name: string;
  scopes: ApiTokenScope[];
  expiresAt?: string;
}

/** The token itself is in this answer only. */
export interface CreatedApiToken {
  id: string;
  name: string;
  token: string;
  scopes: string[];
  expiresAt: string;
}

export interface AcceptInvitationResponse {
  ok: true;
  tenant: { code: string; name: string };
  email: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ListUsersQuery {
  limit?: number;
  cursor?: string | null;
  q?: string;
}

export interface Invitation {
  url: string;
  expiresAt: string;
}

export interface CreateUserRequest {
  email: string;
  displayName: string;
  role: Exclude<Role, 'operator'>;
  password?: string;
}

export type CreateUserResponse = User & { invitation?: Invitation };

export interface UpdateUserRequest {
  displayName?: string;
  role?: Exclude<Role, 'operator'>;
  status?: Exclude<UserStatus, 'invited'>;
}

export type AuditCategory = 'operation' | 'access' | 'security' | 'system';
export type AuditOutcome = 'success' | 'failure' | 'denied';
export type AuditActorType = 'user' | 'api_token' | 'anonymous' | 'system';
export type AuditExportFormat = 'jsonl' | 'csv';

/** One entry of the tenant's tamper-evident audit trail (hash chain). */
export interface AuditEvent {
  id: string;
  chain: string;
  seq: number;
  /** ISO 8601 in UTC with microseconds, e.g. 2026-11-26T05:04:03.123456Z */
  occurredAt: string;
  category: AuditCategory;
  /** Dotted verb, e.g. `auth.login`. */
  action: string;
  outcome: AuditOutcome;
  tenantId: string | null;
  actor: { type: AuditActorType; id: string | null };
  target: { type: string; id: string | null } | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** Ids and reason codes only, never personal data. */
  details: Record<string, unknown>;
  /** Hex SHA-256 of the previous event. */
  prevHash: string;
  hash: string;
}

export interface ListAuditEventsQuery {
  category?: AuditCategory;
  action?: string;
  /** Actor id (user or API token). */
  actor?: string;
  /** Inclusive lower bound, ISO 8601. */
  from?: string;
  /** Exclusive upper bound, ISO 8601. */
  to?: string;
  limit?: number;
  cursor?: string | null;
}

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  firstBrokenSeq: number | null;
  head: { seq: number; hash: string } | null;
  checkpoints: { checked: number; invalid: number };
  /** Why verification stopped: gap, link, hash, checkpoint_mismatch, … */
  reason?: string;
}

export const SSO_NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
] as const;
export type SsoNameIdFormat = (typeof SSO_NAME_ID_FORMATS)[number];

/** SAML attribute names the IdP sends; adminValues of the role attribute make a user an admin. */
export interface SsoAttributeMapping {
  email?: string;
  displayName?: string;
  role?: string;
  adminValues?: string[];
}

/** What the server read from one registered IdP signing certificate. */
export interface SsoCertificateInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
}

/** The fields of the tenant's SAML single sign-on settings an admin can change. */
export interface UpdateSsoSettingsRequest {
  idpEntityId: string;
  ssoUrl: string;
  /** PEM; two during a certificate rollover. */
  certificates: string[];
  nameIdFormat: string;
  attributeMapping: SsoAttributeMapping;
  jitEnabled: boolean;
  jitDefaultRole: Exclude<Role, 'operator'>;
  allowIdpInitiated: boolean;
  /** Link an existing account with the same e-mail at its first SSO login (admins confirm for themselves). Absent means off. */
  linkExistingAccounts?: boolean;
  ssoRequired: boolean;
  requireKeyfile: boolean;
  /** User ids of the admins who may still log in with a password when SSO is required. */
  breakGlassAdminIds: string[];
}

export interface SsoSettingsView extends UpdateSsoSettingsRequest {
  configured: boolean;
  linkExistingAccounts: boolean;
  certificateInfo: SsoCertificateInfo[];
  /** When an admin last completed an SSO login with these settings; null if never. */
  testedAt: string | null;
  spEntityId: string;
  acsUrl: string;
  spMetadataUrl: string;
}

// --- offices (事業所) ---------------------------------------------------------

/** An office of the tenant with its filing identifiers (stored normalised by the server). */
export interface Office {
  id: string;
  name: string;
  address: string | null;
  /** 事業所整理記号, e.g. 01-イロハ. */
  pensionOfficeCode: string | null;
  /** 事業所番号 (pension), up to 5 digits. */
  pensionOfficeNumber: string | null;
  /** 雇用保険事業所番号, 11 digits (4-6-1). */
  employmentOfficeNumber: string | null;
  /** 労働保険番号, 14 digits (2-1-2-6-3). */
  laborInsuranceNumber: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const OFFICE_FIELDS = [
  'name',
  'address',
  'pensionOfficeCode',
  'pensionOfficeNumber',
  'employmentOfficeNumber',
  'laborInsuranceNumber',
] as const;
export type OfficeField = (typeof OFFICE_FIELDS)[number];

export interface CreateOfficeRequest {
  name: string;
  address?: string;
  pensionOfficeCode?: string;
  pensionOfficeNumber?: string;
  employmentOfficeNumber?: string;
  laborInsuranceNumber?: string;
}

/** An empty string clears an optional field. */
export type UpdateOfficeRequest = Partial<CreateOfficeRequest> & { version: number };

// --- procedures (form schemas) ---------------------------------------------------

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

/** A procedure in its latest version (GET /procedures lists one version per code). */
export interface Procedure {
  code: string;
  /** Official Japanese name. */
  name: string;
  nameEn?: string;
  version: number;
  dueRule?: string;
  schema: ProcedureSchema;
}

// --- applications (申請) ---------------------------------------------------------

export const APPLICATION_STATUSES = [
  'draft',
  'ready',
  'submitting',
  'arrived',
  'under_review',
  'correction_requested',
  'review_finished',
  'completed',
  'withdrawn',
  'failed',
] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/**
 * Statuses in which the form may still be changed (an edit moves ready back to
 * draft). `correction_requested` allows edits too, but only form and title
 * and only while no 補正/取下げ is on its way: see the editor.
 */
export const EDITABLE_STATUSES: readonly ApplicationStatus[] = ['draft', 'ready'];

export function isApplicationStatus(value: unknown): value is ApplicationStatus {
  return typeof value === 'string' && (APPLICATION_STATUSES as readonly string[]).includes(value);
}

export type FormValue = string | number | boolean | null;
export type ApplicationForm = Record<string, FormValue>;

export interface ApplicationSummary {
  id: string;
  title: string;
  procedureCode: string;
  procedureVersion: number;
  officeId: string;
  status: ApplicationStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface TimelineEntry {
  at: string;
  /** created, updated, validated, status, … */
  kind: string;
  fromStatus: string | null;
  toStatus: string | null;
  /** `user:<id>` or `token:<id>`. */
  actor: string | null;
  details: Record<string, unknown>;
}

export interface Attachment {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
  /** Hex SHA-256 of the file. */
  sha256: string;
  scan: 'clean';
  createdAt: string;
}

/** A notice e-Gov sent about one application (補正, 取下げ, お知らせ, …). */
export interface EgovNotice {
  noticeSubId: string;
  /** The government's own word for the notice, e.g. 補正. */
  type: string;
  title: string;
  /** Plain text; the 補正 notice says what must be corrected. */
  body: string;
  date: string | null;
}

export type ApplicationActionKind = 'amend' | 'withdraw';
export type ApplicationActionState = 'pending' | 'sending' | 'done' | 'failed';

/** The latest 補正 (amend) or 取下げ (withdraw) request sent to e-Gov for an application. */
export interface ApplicationAction {
  id: string;
  kind: ApplicationActionKind;
  state: ApplicationActionState;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Statuses from which an application may be withdrawn (取下げ). */
export const WITHDRAWABLE_STATUSES: readonly ApplicationStatus[] = ['arrived', 'under_review', 'correction_requested'];

export interface ApplicationDetail extends ApplicationSummary {
  /** 個人番号 masked (********1234) unless loaded with `unmask: true`. */
  form: ApplicationForm;
  masked: boolean;
  timeline: TimelineEntry[];
  attachments: Attachment[];
  /** 到達番号 e-Gov gave the submission; null until it arrived. */
  arriveId: string | null;
  /** e-Gov's own status string, e.g. 審査中（補正待ち）. */
  egovStatus: string | null;
  /** Why the submission failed (status `failed`). */
  failureReason: string | null;
  egovNotices: EgovNotice[];
  lastAction: ApplicationAction | null;
}

/** 202 answer of POST /applications/:id/amend and /withdraw. */
export interface ActionAccepted {
  actionId: string;
  kind: ApplicationActionKind;
  state: ApplicationActionState;
  status: ApplicationStatus;
}

/** 202 answer of POST /applications/:id/submit. */
export interface SubmitResult {
  status: ApplicationStatus;
  submissionId: string;
}

/** A 公文書 (official document) the government issued for an application. */
export interface ApplicationDocument {
  id: string;
  title: string;
  fileName: string;
  contentType: string;
  size: number;
  /** Hex SHA-256 of the file. */
  sha256: string;
  fetchedAt: string;
  acknowledgedAt: string | null;
}

// --- e-Gov account and notices ---------------------------------------------------

/** Whether the tenant's e-Gov account is linked (GET /egov/account). */
export interface EgovAccount {
  linked: boolean;
  linkedAt: string | null;
}

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
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface Notice {
  id: string;
  /** One of {@link NOTICE_KINDS}; a newer server may send others. */
  kind: string;
  applicationId: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface NoticeList {
  items: Notice[];
  unread: number;
}

export interface ListApplicationsQuery {
  status?: ApplicationStatus;
  officeId?: string;
  procedure?: string;
  /** Created on or after this JST day (YYYY-MM-DD). */
  from?: string;
  /** Created on or before this JST day (YYYY-MM-DD). */
  to?: string;
  limit?: number;
  cursor?: string | null;
}

export interface CreateApplicationRequest {
  procedureCode: string;
  officeId: string;
  title: string;
  form?: ApplicationForm;
}

export interface UpdateApplicationRequest {
  version: number;
  title?: string;
  officeId?: string;
  /** The whole form: it replaces the stored one. */
  form?: ApplicationForm;
}

export interface ValidationIssue {
  /** The form field (plain name or `form.<name>`). */
  field: string;
  code: string;
  message: string;
  messageEn: string;
}

export interface ValidationResult {
  valid: boolean;
  errors: ValidationIssue[];
  status: ApplicationStatus;
  version: number;
}

export interface UploadOptions {
  /** Called with bytes sent so far and the total while the request body goes up. */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

export interface FieldError {
  field: string;
  message: string;
  code?: string;
}

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
    let body: string | undefined;
    if (options.body !== undefined) {
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

  listMyKeyfiles(): Promise<{ items: KeyfileInfo[] }> {
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

  listUserKeyfiles(userId: string): Promise<{ items: KeyfileInfo[] }> {
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
  resetUserKeyfiles(userId: string): Promise<{ ok: true }> {
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
  confirmSsoLink(): Promise<{ confirmedUntil: string }> {
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
  // --- offices -------------------------------------------------------------------

  listOffices(): Promise<{ items: Office[] }> {
    return this.request('GET', '/offices');
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
        officeId: query.officeId,
        procedure: query.procedure,
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
   * `unmask: true` answers the 個人番号 in clear (the form editor only; the
   * server audits it). Everywhere else the masked form is enough.
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
  reopenApplication(id: string, confirmNotReceived = false): Promise<{ status: 'draft'; version: number }> {
    return this.request('POST', `/applications/${encodeURIComponent(id)}/reopen`, {
      body: confirmNotReceived ? { confirmNotReceived: true } : {},
    });
  }

  listDocuments(applicationId: string): Promise<{ items: ApplicationDocument[] }> {
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
  linkEgov(): Promise<{ authorizeUrl: string }> {
    return this.request('POST', '/egov/link');
  }

  /** Admins: unlinks the tenant's e-Gov account (204). */
  unlinkEgov(): Promise<void> {
    return this.request('DELETE', '/egov/account');
  }

  // --- notices ---------------------------------------------------------------------

  listNotices(): Promise<NoticeList> {
    return this.request('GET', '/notices');
  }

  markNoticeRead(id: string): Promise<void> {
    return this.request('POST', `/notices/${encodeURIComponent(id)}/read`);
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
