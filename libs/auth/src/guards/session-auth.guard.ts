import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditService } from '@charlotte/audit';
import { IS_PUBLIC, requestContext, UnauthenticatedError } from '@charlotte/core';
import { AuthErrors } from '../errors';
import { IpAllowlistService } from '../ip-allowlist/ip-allowlist.service';
import { SESSION_COOKIE, SessionsService } from '../sessions/sessions.service';
import { TokensService } from '../tokens/tokens.service';
import { AuthedRequest } from './principal';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const ALLOW_CLOSED_CONTRACT = 'charlotte:allow-closed-contract';

/**
 * The route also serves a session whose contract is closed (cancelled or deleted), which every
 * other route answers 403 contract_cancelled: logout, so that such a user can still end the
 * session and have the cookie cleared. CSRF is checked as everywhere.
 */
export const AllowClosedContract = (): MethodDecorator => SetMetadata(ALLOW_CLOSED_CONTRACT, true);

/** The route pattern (`/api/v1/users/:id`), not the concrete path: no ids or tokens in the trail. */
export function routeOf(context: ExecutionContext): string {
  const req = context.switchToHttp().getRequest<{ route?: { path?: string }; baseUrl?: string }>();
  return `${req.baseUrl ?? ''}${req.route?.path ?? ''}` || 'unknown';
}

function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Global guard: every route needs a live session unless marked @Public().
 * Unsafe methods must also carry X-CSRF-Token equal to the session's token
 * (synchroniser token; SameSite=Strict alone does not cover every browser or
 * a compromised sibling subdomain).
 */
@Injectable()
export class SessionAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly tokens: TokensService,
    private readonly ipAllowlist: IpAllowlistService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const auth = req.header('authorization');
    if (auth !== undefined) {
      // Integrators: a bearer token instead of a cookie. No CSRF check (no ambient
      // credential a browser would attach); RolesGuard then demands @Scopes.
      const m = /^Bearer ([A-Za-z0-9_-]{1,100})$/.exec(auth);
      const principal = m ? await this.tokens.resolve(m[1]) : undefined;
      if (!principal) throw AuthErrors.tokenInvalid();
      // The tenant's IP allow-list, once the principal is known (a stolen token is useless outside the list).
      await this.ipAllowlist.assertAllowed(
        principal.tenantId,
        'token',
        req.ip,
        { kind: 'request', route: routeOf(context), method: req.method },
        { type: 'api_token', id: principal.tokenId },
      );
      req.principal = principal;
      requestContext.assign({ tenantId: principal.tenantId, principal: `token:${principal.tokenId}`, tokenId: principal.tokenId });
      return true;
    }
    const token = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
    const allowClosedContract = this.reflector.get<boolean>(ALLOW_CLOSED_CONTRACT, context.getHandler()) === true;
    const session = await this.sessions.resolve(token, { allowClosedContract });
    if (!session) throw new UnauthenticatedError('Log in first, or your session has expired.');
    // The tenant's IP allow-list on every request, not only at login: a session opened inside the
    // office network (or before the list was saved) stops working when the laptop leaves it, and a
    // stolen cookie is useless elsewhere. Before the CSRF check, so a refusal is told as such.
    await this.ipAllowlist.assertAllowed(
      session.tenantId,
      session.role === 'admin' ? 'admin' : 'member',
      req.ip,
      { kind: 'request', route: routeOf(context), method: req.method },
      { type: 'user', id: session.userId },
      session.ipAllowlist,
    );
    if (!SAFE_METHODS.has(req.method) && !sameToken(req.header('x-csrf-token'), session.csrfToken)) {
      await this.audit.record({
        category: 'security',
        action: 'http.csrf_rejected',
        outcome: 'denied',
        tenantId: session.tenantId,
        actor: { type: 'user', id: session.userId },
        details: { method: req.method, route: routeOf(context), header: req.header('x-csrf-token') ? 'mismatch' : 'missing' },
      });
      throw AuthErrors.csrfInvalid();
    }
    const { ipAllowlist: _list, ...resolved } = session;
    req.principal = { kind: 'session', ...resolved };
    requestContext.assign({ tenantId: session.tenantId, userId: session.userId, principal: `user:${session.userId}` });
    return true;
  }
}
