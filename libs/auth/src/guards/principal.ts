import { SetMetadata } from '@nestjs/common';

export type { AuthedRequest, Principal } from '@charlotte/core';
export { CurrentPrincipal, ROLES, Roles } from '@charlotte/core';

/** Marks routes whose per-IP limit is the (stricter) login limit. */
export const LOGIN_THROTTLE = 'charlotte:loginThrottle';
export const LoginThrottle = (): MethodDecorator => SetMetadata(LOGIN_THROTTLE, true);
