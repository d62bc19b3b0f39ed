import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';

export type PrincipalRole = 'admin' | 'member' | 'operator';

/**
 * Who is calling, as resolved by the authentication guard (libs/auth).
 * Declared in core so that every feature lib can state its access rules
 * without depending on the auth implementation.
 */
export interface Principal {
  kind: 'session';
  userId: string;
  /** null for platform operators. */
  tenantId: string | null;
  role: PrincipalRole;
  sessionId: string;
  csrfToken: string;
}

export type AuthedRequest = Request & { principal?: Principal };

export const ROLES = 'charlotte:roles';

/** Restricts a route to these roles; checked by the roles guard after authentication. Default: any authenticated user. */
export const Roles = (...roles: PrincipalRole[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES, roles);

/** Injects the authenticated principal. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<AuthedRequest>();
  if (!req.principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return req.principal;
});

/**
 * The tenant of a tenant-scoped route. Operators have none: they never reach
 * tenant content (architecture: "operators never see tenant content").
 */
export function tenantOf(p: Principal): string {
  if (!p.tenantId) throw new Error('tenant route reached without a tenant principal');
  return p.tenantId;
}
