import type { SimState } from './state';

/** What the route handlers share: the state and the resolved options. */
export interface SimContext {
  state: SimState;
  clientId: string;
  clientSecret: string;
  redirectUris?: string[];
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
  /** `http://host:port/auth`, the `iss` of id tokens; known once the server listens. */
  issuer: string;
  /** `http://host:port/shinsei/v2`, for `_links`; known once the server listens. */
  apiBase: string;
  /** Every procedure needs an XML signature (option requireSignature). */
  requireSignature: boolean;
}
