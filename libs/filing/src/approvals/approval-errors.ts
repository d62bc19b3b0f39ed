import { ConflictError, ForbiddenError } from '@charlotte/core';

/** Error codes of approvals (承認フロー); the SPA words each one (errors.<code>). */
export const ApprovalErrors = {
  notApprover: () => new ForbiddenError('You are not an approver of the current step of this approval.', 'not_approver'),
  selfApproval: () =>
    new ForbiddenError(
      'You cannot approve a request you made yourself: the approval route does not allow it.',
      'self_approval_not_allowed',
    ),
  notRequester: () => new ForbiddenError('Only the user who requested this approval can withdraw the request.', 'not_requester'),
  notPending: () => new ConflictError('approval_not_pending', 'This approval was already decided, sent back or cancelled.'),
  alreadyDecided: () => new ConflictError('approval_already_decided', 'You already approved this step.'),
  noEligibleApprover: () =>
    new ConflictError(
      'no_eligible_approver',
      'A step of the approval route has no approver other than you, and approving your own request is not allowed.',
    ),
  pending: () => new ConflictError('approval_pending', 'This application is waiting for approval; edit it to withdraw the request.'),
};
