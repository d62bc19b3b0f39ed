import { Injectable } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import type { Profile } from '@node-saml/node-saml';
import { MultiSamlStrategy, MultiStrategyConfig, VerifyWithRequest } from '@node-saml/passport-saml';
import type { Request } from 'express';
import { reasonForLibraryError, SamlRejection } from './saml-checks';
import { SamlAcsResult, SamlInternalError, SamlLoginService } from './saml-login.service';

/**
 * passport-saml's per-request strategy: the tenant's node-saml options come
 * from SamlLoginService (after its pre-checks), node-saml validates the
 * signature, then `validate` runs our post-checks and signs the user in.
 */
@Injectable()
export class SamlStrategy extends PassportStrategy(MultiSamlStrategy, 'saml') {
  constructor(private readonly login: SamlLoginService) {
    const options: MultiStrategyConfig = {
      passReqToCallback: true,
      getSamlOptions: (req, done) => {
        login.acsOptions(req as unknown as Request).then(
          (o) => done(null, o),
          (e: Error) => done(e),
        );
      },
    };
    // PassportStrategy appends the verify callback (which calls validate()) itself.
    super(...([options] as unknown as [MultiStrategyConfig, VerifyWithRequest]));
  }

  validate(req: Request, profile: Profile | null): Promise<SamlAcsResult> {
    return this.login.complete(req, profile);
  }
}

/**
 * The ACS guard: turns every way the SAML step can fail into a SamlRejection
 * with a reason code (node-saml only throws plain Errors), except internal
 * failures, which stay errors (500).
 */
@Injectable()
export class SamlAcsGuard extends AuthGuard('saml') {
  override handleRequest<T = SamlAcsResult>(err: unknown, user: T): T {
    if (err instanceof SamlInternalError) throw err.original;
    if (err instanceof SamlRejection) throw err;
    if (err || !user) throw new SamlRejection(err ? reasonForLibraryError(err) : 'invalid_response');
    return user;
  }
}
