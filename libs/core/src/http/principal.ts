import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';

export type PrincipalRole = 'admin' | 'member' | 'operator' | 'client';

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

export type ApiScope = 'applications:read' | 'applications:write' | 'documents:read' | 'audit:read' | 'backups:read';
export const API_SCOPES: readonly ApiScope[] = ['applications:read', 'applications:write', 'documents:read', 'audit:read', 'backups:read'];

/** An integrator calling with `Authorization: Bearer <api token>`. */
export interface TokenPrincipal {
  kind: 'token';
  tokenId: string;
  tenantId: string;
  scopes: ApiScope[];
}

export type Caller = Principal | TokenPrincipal;

export type AuthedRequest = Request & { principal?: Caller };

export const SCOPES = 'charlotte:scopes';

/**
 * Opens a route to API tokens that carry every listed scope. Routes without it
 * refuse tokens (default deny): user, key and token management stay session-only.
 */
export const Scopes = (...scopes: ApiScope[]): MethodDecorator & ClassDecorator => SetMetadata(SCOPES, scopes);

export const ROLES = 'charlotte:roles';

/** Restricts a route to these roles; checked by the roles guard after authentication. Default: any authenticated user. */
export const Roles = (...roles: PrincipalRole[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES, roles);

export const CLIENT_PORTAL = 'charlotte:clientPortal';

/**
 * Opens one route (a method, never a whole controller, so that a route added later is not opened
 * by accident) to users of role `client` (顧問先ポータル, issue 19). Every other route answers such a
 * session 404 not_found, whatever its @Roles say: the roles guard denies by default, so a route
 * nobody thought about stays closed to the portal. The route itself must still narrow what it
 * shows to the client user's own 顧問先 (ClientAccessService does for applications and documents).
 */
export const ClientPortal = (): MethodDecorator => SetMetadata(CLIENT_PORTAL, true);

/** Injects the session principal (session-only routes: tokens never reach them). */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<AuthedRequest>();
  if (!req.principal || req.principal.kind !== 'session') throw new Error('CurrentPrincipal used on a route without a session');
  return req.principal;
});

/** Injects the caller, session or API token (routes marked with @Scopes). */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const req = ctx.switchToHttp().getRequest<AuthedRequest>();
  if (!req.principal) throw new Error('CurrentCaller used on a route without authentication');
  return req.principal;
});

/**
 * The tenant of a tenant-scoped route. Operators have none: they never reach
 * tenant content (architecture: "operators never see tenant content").
 */
export function tenantOf(p: Caller): string {
  if (!p.tenantId) throw new Error('tenant route reached without a tenant principal');
  return p.tenantId;
}
