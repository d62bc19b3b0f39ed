import { ConflictError, DomainError } from '@charlotte/core';

/** Every error code libs/webhooks answers with (problem+json `code`; the SPA words each one in Japanese and English). */
export const WebhookErrorCode = {
  UrlNotAllowed: 'webhook_url_not_allowed',
  Disabled: 'webhook_disabled',
  LimitReached: 'webhook_limit_reached',
} as const;
export type WebhookErrorCode = (typeof WebhookErrorCode)[keyof typeof WebhookErrorCode];

/** Why a URL is refused (`reason` in the problem's field error: the SPA says which rule it broke). */
export type UrlRefusal = 'invalid' | 'not_https' | 'credentials' | 'host' | 'unresolvable' | 'private_address';

const DETAIL: Record<UrlRefusal, string> = {
  invalid: 'The value is not a URL.',
  not_https: 'Webhook URLs must use https.',
  credentials: 'Webhook URLs must not carry a user name or password.',
  host: 'The URL does not name a host.',
  unresolvable: 'The host name of the URL does not resolve.',
  private_address: 'The host of the URL resolves to an address that is not public (loopback, private, link-local, …).',
};

export const WebhookErrors = {
  urlNotAllowed: (reason: UrlRefusal) =>
    new DomainError(422, WebhookErrorCode.UrlNotAllowed, 'Webhook URL not allowed', DETAIL[reason], [
      { field: 'url', code: WebhookErrorCode.UrlNotAllowed, params: { reason }, message: DETAIL[reason] },
    ]),
  disabled: () => new ConflictError(WebhookErrorCode.Disabled, 'The webhook is disabled: enable it first.'),
  limitReached: (max: number) =>
    new ConflictError(WebhookErrorCode.LimitReached, `A tenant can have at most ${max} webhooks; delete one first.`),
};
