import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, IS_PUBLIC } from '@charlotte/core';
import type { UserRole } from '../users/user.entity';
import { AuthedRequest, ROLES } from './principal';

/** Checks @Roles(...) after SessionAuthGuard has resolved the principal. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, [context.getHandler(), context.getClass()]);
    if (!roles?.length) return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const principal = context.switchToHttp().getRequest<AuthedRequest>().principal;
    if (!principal || !roles.includes(principal.role)) throw new ForbiddenError('Your role does not allow this.');
    return true;
  }
}
