import { Module } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { AuthAuditTargets } from './audit-targets';
import { AuditedThrottlerGuard } from './guards/audited-throttler.guard';
import { LOGIN_THROTTLE } from './guards/principal';
import { RolesGuard } from './guards/roles.guard';
import { SessionAuthGuard } from './guards/session-auth.guard';
import { AuthController } from './login/auth.controller';
import { AuthService } from './login/auth.service';
import { OperatorBootstrapService } from './operators/operator-bootstrap.service';
import { PasswordService } from './password/password.service';
import { SessionCleanupJob } from './sessions/session-cleanup.job';
import { SessionGates } from './sessions/session-gates';
import { SessionsService } from './sessions/sessions.service';
import { TenantsService } from './tenants/tenants.service';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';
import { UserNamesService } from './users/user-names.service';
import { MyKeyfilesController, UserKeyfilesController } from './keyfile/keyfiles.controller';
import { KeyfilesService } from './keyfile/keyfiles.service';
import { SamlMetadataController, SsoSettingsController } from './saml/sso.controller';
import { SpMetadataService } from './saml/sp-metadata.service';
import { SsoSettingsService } from './saml/sso-settings.service';
import { SamlLoginController, SamlRejectionFilter } from './saml/saml.controller';
import { LoginThrottleService } from './login/login-throttle.service';
import { SamlLoginService } from './saml/saml-login.service';
import { SamlAcsGuard, SamlStrategy } from './saml/saml.strategy';
import { TokensController } from './tokens/tokens.controller';
import { TokensService } from './tokens/tokens.service';
import { PgThrottlerStorage } from './rate-limits/pg-throttler-storage';
import { RateLimitCleanupJob } from './rate-limits/rate-limit-cleanup.job';
import { IpAllowlistController } from './ip-allowlist/ip-allowlist.controller';
import { IpAllowlistService } from './ip-allowlist/ip-allowlist.service';

const reflector = new Reflector();

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, DataSource],
      useFactory: (config: AppConfig, ds: DataSource) => ({
        // Per-IP limits (req.ip; set TRUST_PROXY behind a load balancer), counted in
        // PostgreSQL so that N instances enforce one limit (PgThrottlerStorage).
        storage: new PgThrottlerStorage(ds),
        throttlers: [
          {
            name: 'api',
            ttl: 60_000,
            limit: config.rateLimitApiPerMinute,
            // Liveness must not depend on the database (nor cost a write per probe); it does no work worth limiting.
            skipIf: (ctx) => ctx.switchToHttp().getRequest<{ path?: string }>().path === '/health/live',
          },
          {
            name: 'login',
            ttl: 60_000,
            limit: config.rateLimitLoginPerMinute,
            skipIf: (ctx) => !reflector.get<boolean>(LOGIN_THROTTLE, ctx.getHandler()),
          },
        ],
      }),
    }),
  ],
  controllers: [
    AuthController,
    UsersController,
    MyKeyfilesController,
    UserKeyfilesController,
    TokensController,
    SsoSettingsController,
    SamlMetadataController,
    SamlLoginController,
    IpAllowlistController,
  ],
  providers: [
    PasswordService,
    SessionGates,
    SessionsService,
    TenantsService,
    UsersService,
    UserNamesService,
    AuthService,
    LoginThrottleService,
    OperatorBootstrapService,
    SessionCleanupJob,
    RateLimitCleanupJob,
    KeyfilesService,
    TokensService,
    SsoSettingsService,
    SpMetadataService,
    SamlLoginService,
    SamlStrategy,
    SamlAcsGuard,
    SamlRejectionFilter,
    IpAllowlistService,
    AuthAuditTargets,
    { provide: APP_GUARD, useClass: AuditedThrottlerGuard },
    { provide: APP_GUARD, useClass: SessionAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [
    PasswordService,
    SessionGates,
    SessionsService,
    TenantsService,
    UsersService,
    UserNamesService,
    AuthService,
    OperatorBootstrapService,
    KeyfilesService,
    TokensService,
    SsoSettingsService,
    SpMetadataService,
    IpAllowlistService,
  ],
})
export class AuthModule {}
