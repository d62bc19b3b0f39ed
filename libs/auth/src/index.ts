import { Session } from './sessions/session.entity';
import { Tenant } from './tenants/tenant.entity';
import { User } from './users/user.entity';

export * from './auth.module';
export * from './guards/principal';
export * from './keyfile/keyfile-crypto';
export * from './keyfile/keyfiles.service';
export * from './tokens/tokens.service';
export * from './login/auth.service';
export * from './operators/operator-bootstrap.service';
export * from './password/password.service';
export * from './sessions/sessions.service';
export * from './sessions/session-gates';
export * from './tenants/tenants.service';
export * from './users/users.service';
export * from './users/user-names.service';
export * from './saml/sso-settings.service';
export * from './users/dto/user.dto';
export { IpAllowlistService } from './ip-allowlist/ip-allowlist.service';
export { Session, Tenant, User };
/** Whether a tenant's contract is closed now (SQL on a `tenants` row aliased `t`): other libs skip such tenants. */
export { CONTRACT_CLOSED_SQL, TENANT_KINDS } from './tenants/tenant.entity';
export type { TenantKind } from './tenants/tenant.entity';
export type { UserRole, UserStatus } from './users/user.entity';

/** Entities owned by libs/auth, for the app's DataSource. */
export const AUTH_ENTITIES = [Tenant, User, Session];
export * from './errors';
