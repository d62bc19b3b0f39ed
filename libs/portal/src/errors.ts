import { ConflictError, DomainError, ForbiddenError } from '@charlotte/core';

/** Every error code libs/portal answers with (problem+json `code`; the SPA words each one in Japanese and English). */
export const PortalErrorCode = {
  PortalDisabled: 'portal_disabled',
  PortalUsersOnly: 'portal_users_only',
} as const;
export type PortalErrorCode = (typeof PortalErrorCode)[keyof typeof PortalErrorCode];

export const PortalErrors = {
  /** Login and sessions of a portal user whose 顧問先 has its portal turned off. */
  portalDisabled: () =>
    new DomainError(403, PortalErrorCode.PortalDisabled, 'Forbidden', 'The client portal (顧問先ポータル) of your company is turned off.'),
  /** Inviting a portal user for a client whose portal is off. */
  portalOff: () => new ConflictError(PortalErrorCode.PortalDisabled, 'Turn the client portal (顧問先ポータル) on for this client first.'),
  /** 依頼 are sent by the users of a client's portal, not by the office. */
  portalUsersOnly: () =>
    new ForbiddenError('Only users of a client portal send requests (依頼) to the office.', PortalErrorCode.PortalUsersOnly),
};
