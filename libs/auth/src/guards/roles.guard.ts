import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiScope, CLIENT_PORTAL, ForbiddenError, IS_PUBLIC, NotFoundError } from '@charlotte/core';
import type { UserRole } from '../users/user.entity';
import { AuthedRequest, ROLES, SCOPES } from './principal';

/**
 * After authentication: sessions are checked against @Roles(...); API tokens
 * only reach routes that declare @Scopes(...), and must carry every scope listed
 * (default deny: management routes never take a token).
 *
 * Users of a 顧問先 (role `client`, the client portal) reach only the routes marked @ClientPortal()
 * on the handler itself; every other route answers them 404 not_found, as if it did not exist
 * (api.md: "404 everywhere else"). Default deny on purpose: routes without @Roles are open to any
 * other authenticated user, and a portal user must not inherit that.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const principal = context.switchToHttp().getRequest<AuthedRequest>().principal;
    if (!principal) throw new ForbiddenError();
    if (principal.kind === 'token') {
      const scopes = this.reflector.getAllAndOverride<ApiScope[] | undefined>(SCOPES, targets);
      if (!scopes?.length) throw new ForbiddenError('API tokens cannot use this route; log in instead.', 'token_not_allowed');
      const missing = scopes.filter((s) => !principal.scopes.includes(s));
      if (missing.length) throw new ForbiddenError(`The token lacks the scope ${missing.join(', ')}.`, 'scope_missing');
      return true;
    }
    if (principal.role === 'client') {
      // Only the handler's own mark counts (never the class): a method added later stays closed.
      if (this.reflector.get<boolean>(CLIENT_PORTAL, context.getHandler()) !== true) throw new NotFoundError();
      return true;
    }
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, targets);
    if (roles?.length && !roles.includes(principal.role)) throw new ForbiddenError('Your role does not allow this.');
    return true;
  }
}
