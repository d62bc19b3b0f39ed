import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiScope, ForbiddenError, IS_PUBLIC } from '@charlotte/core';
import type { UserRole } from '../users/user.entity';
import { AuthedRequest, ROLES, SCOPES } from './principal';

/**
 * After authentication: sessions are checked against @Roles(...); API tokens
 * only reach routes that declare @Scopes(...), and must carry every scope listed
 * (default deny: management routes never take a token).
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
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, targets);
    if (roles?.length && !roles.includes(principal.role)) throw new ForbiddenError('Your role does not allow this.');
    return true;
  }
}
