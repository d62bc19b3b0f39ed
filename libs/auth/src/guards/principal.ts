import { SetMetadata } from '@nestjs/common';

export type { ApiScope, AuthedRequest, Caller, Principal, TokenPrincipal } from '@charlotte/core';
export { API_SCOPES, CurrentCaller, CurrentPrincipal, ROLES, Roles, SCOPES, Scopes } from '@charlotte/core';

/** Marks routes whose per-IP limit is the (stricter) login limit. */
export const LOGIN_THROTTLE = 'charlotte:loginThrottle';
export const LoginThrottle = (): MethodDecorator => SetMetadata(LOGIN_THROTTLE, true);
