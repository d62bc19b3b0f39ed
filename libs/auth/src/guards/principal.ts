import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { UserRole } from '../users/user.entity';

/** Who is calling, as resolved by the authentication guard. */
export interface Principal {
  kind: 'session';
  userId: string;
  /** null for platform operators. */
  tenantId: string | null;
  role: UserRole;
  sessionId: string;
  csrfToken: string;
}

export type AuthedRequest = Request & { principal?: Principal };

export const ROLES = 'charlotte:roles';

/** Restricts a route to these roles; checked by RolesGuard after authentication. */
export const Roles = (...roles: UserRole[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES, roles);

/** Injects the authenticated principal. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<AuthedRequest>();
  if (!req.principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return req.principal;
});

/** Marks routes whose per-IP limit is the (stricter) login limit. */
export const LOGIN_THROTTLE = 'charlotte:loginThrottle';
export const LoginThrottle = (): MethodDecorator => SetMetadata(LOGIN_THROTTLE, true);
