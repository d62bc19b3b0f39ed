import { ConflictError, DomainError } from '@charlotte/core';

/**
 * Every error code libs/auth answers with (problem+json `code`, mapped to Japanese and English
 * text by the SPA), and one factory per code so that status, title and wording are written
 * once. Core's generic classes (validation_failed, not_found, forbidden, unauthenticated) are
 * used as they are; SAML refusals have their own reason codes (saml-checks.ts `SamlReason`),
 * shown on the SSO refusal page rather than as problem+json.
 */
export const AuthErrorCode = {
  InvalidCredentials: 'invalid_credentials',
  AccountLocked: 'account_locked',
  SsoRequired: 'sso_required',
  TenantInactive: 'tenant_inactive',
  ContractCancelled: 'contract_cancelled',
  KeyfileRequired: 'keyfile_required',
  KeyfileInvalid: 'keyfile_invalid',
  EnrolmentNotAllowed: 'enrolment_not_allowed',
  ChallengeExpired: 'challenge_expired',
  NoPendingLogin: 'no_pending_login',
  TokenInvalid: 'token_invalid',
  CsrfInvalid: 'csrf_invalid',
  UserInvited: 'user_invited',
  UserNotInvited: 'user_not_invited',
  LastAdmin: 'last_admin',
  ClientUserRole: 'client_user_role',
  LastBreakGlassAdmin: 'last_break_glass_admin',
  InvitationInvalid: 'invitation_invalid',
  EmailTaken: 'email_taken',
  TenantCodeTaken: 'tenant_code_taken',
  KeyExists: 'key_exists',
  BreakGlassRequired: 'break_glass_required',
  SsoNotTested: 'sso_not_tested',
  SsoAlreadyLinked: 'sso_already_linked',
  KeyfileSessionRequired: 'keyfile_session_required',
  IpNotAllowed: 'ip_not_allowed',
  WouldLockOut: 'would_lock_out',
} as const;
export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode];

const C = AuthErrorCode;

export const AuthErrors = {
  /**
   * One answer for unknown tenant, unknown user, wrong password, invited and disabled accounts:
   * the caller learns nothing about which accounts exist.
   */
  invalidCredentials: () =>
    new DomainError(401, C.InvalidCredentials, 'Invalid credentials', 'The tenant, e-mail address or password is wrong.'),
  accountLocked: (until: Date) =>
    new DomainError(423, C.AccountLocked, 'Account locked', 'Too many failed logins; the account is locked for a while.', undefined, {
      'Retry-After': String(Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000))),
    }),
  ssoRequired: () =>
    new DomainError(403, C.SsoRequired, 'SSO required', 'This contract requires single sign-on: use "Log in with SSO" (SSOでログイン).'),
  tenantInactive: () => new DomainError(403, C.TenantInactive, 'Tenant inactive', 'This contract is not active.'),
  /** From the effective time of a cancellation (and after the deletion): logins, SSO, sessions and tokens of the tenant. */
  contractCancelled: () =>
    new DomainError(403, C.ContractCancelled, 'Contract cancelled', 'This contract has been cancelled (ご契約は解約されています).'),
  keyfileRequired: () =>
    new DomainError(403, C.KeyfileRequired, 'Key file required', 'This account has no key file. Ask an administrator to issue one.'),
  keyfileInvalid: () =>
    new DomainError(401, C.KeyfileInvalid, 'Key file invalid', "The key file was not accepted (wrong, revoked, or another user's key)."),
  enrolmentNotAllowed: () =>
    new DomainError(403, C.EnrolmentNotAllowed, 'Enrolment not allowed', 'This account cannot register a key itself.'),
  challengeExpired: () =>
    new DomainError(401, C.ChallengeExpired, 'Challenge expired', 'The login challenge expired or was already used. Log in again.'),
  noPendingLogin: () =>
    new DomainError(401, C.NoPendingLogin, 'No pending login', 'There is no login waiting for a key file. Log in again.'),
  tokenInvalid: () =>
    new DomainError(401, C.TokenInvalid, 'Invalid token', 'The API token is unknown, expired or revoked.', undefined, {
      'WWW-Authenticate': 'Bearer',
    }),
  csrfInvalid: () => new DomainError(403, C.CsrfInvalid, 'CSRF check failed', 'The X-CSRF-Token header is missing or wrong.'),
  userInvited: () => new DomainError(409, C.UserInvited, 'Conflict', 'An invited user becomes active by accepting the invitation.'),
  userNotInvited: () => new DomainError(409, C.UserNotInvited, 'Conflict', 'Only invited users can receive an invitation link.'),
  clientUserRole: () =>
    new ConflictError(C.ClientUserRole, 'A user of a client portal (顧問先ポータル) keeps the role client; invite a staff member instead.'),
  lastAdmin: () => new ConflictError(C.LastAdmin, 'The tenant must keep at least one active administrator.'),
  lastBreakGlassAdmin: () =>
    new ConflictError(
      C.LastBreakGlassAdmin,
      'This administrator is the only break-glass account of a tenant that enforces SSO; name another one in the SSO settings first.',
    ),
  invitationInvalid: () =>
    new DomainError(400, C.InvitationInvalid, 'Invalid invitation', 'The invitation link is invalid, used or expired.'),
  emailTaken: () => new ConflictError(C.EmailTaken, 'A user with this e-mail address exists in this tenant.'),
  tenantCodeTaken: (code: string) => new ConflictError(C.TenantCodeTaken, `A tenant with code "${code}" exists.`),
  keyExists: () => new ConflictError(C.KeyExists, 'This key is already registered.'),
  breakGlassRequired: () =>
    new DomainError(
      409,
      C.BreakGlassRequired,
      'Break-glass admin required',
      'Name at least one break-glass administrator before requiring SSO.',
    ),
  ssoNotTested: () =>
    new DomainError(
      409,
      C.SsoNotTested,
      'SSO not tested',
      'Complete one SSO login as an administrator with these IdP settings before requiring SSO.',
    ),
  ssoAlreadyLinked: () => new DomainError(409, C.SsoAlreadyLinked, 'Already linked', 'This account already signs in through SSO.'),
  keyfileSessionRequired: () =>
    new DomainError(
      403,
      C.KeyfileSessionRequired,
      'Key-file login required',
      'Confirm from a session opened with your password and key file.',
    ),
  /**
   * The tenant's IP allow-list does not include the client address (sessions, API tokens, logins).
   * The address is not echoed: the user's own network knows it, and the SPA shows it on the settings page.
   */
  ipNotAllowed: () =>
    new DomainError(
      403,
      C.IpNotAllowed,
      'IP address not allowed',
      "This contract's IP address restriction does not allow access from your current address.",
    ),
  wouldLockOut: () =>
    new DomainError(
      409,
      C.WouldLockOut,
      'Would lock you out',
      'The list does not include your current address: saving it would lock you out. Send confirmOwnAddress: true to save it anyway.',
    ),
};
