/**
 * The signing hook of the filing services, until the certificate storage (libs/filing/src/signing,
 * SigningCredentialsService) is on main: the services depend on this interface and token only; the
 * module binds the token to the real service at merge. The default binding has no certificates
 * (every package unsigned), which keeps the behaviour of today for procedures that allow it.
 */
export interface PackageSignerRef {
  /** opaque for the filing services: handed to the package builder as `signer` */
  readonly [k: string]: unknown;
}

export interface SigningCredentialsPort {
  /** The tenant's signing key and certificate, or undefined when none is stored (or it expired). */
  signerFor(tenantId: string): Promise<PackageSignerRef | undefined>;
  /** The 提出代行証明書 of an office (社労士 filing for a client), attached to its packages. */
  proxyCertificateFor(tenantId: string, officeId: string): Promise<{ fileName: string; data: Buffer } | undefined>;
}

export const SIGNING_CREDENTIALS = Symbol('SIGNING_CREDENTIALS');

/** No certificate stored anywhere: what runs until the certificate storage is wired. */
export const NO_SIGNING_CREDENTIALS: SigningCredentialsPort = {
  signerFor: () => Promise.resolve(undefined),
  proxyCertificateFor: () => Promise.resolve(undefined),
};

/**
 * Whether a procedure's filing needs an electronic signature: 'required' (no GビズID exemption),
 * 'optional_gbizid' (e-Gov accepts it unsigned for a GビズID login), 'none'. Read from the procedure
 * mapping of the package lib when it says so (`signature`), else 'optional_gbizid': the four
 * procedures we file (日本年金機構 資格取得/喪失/賞与, 雇用保険 資格取得) accept a GビズID login
 * without a signature.
 */
export type SignaturePolicy = 'required' | 'optional_gbizid' | 'none';
export function signaturePolicyOf(info: unknown): SignaturePolicy {
  const v = (info as { signature?: unknown } | undefined)?.signature;
  return v === 'required' || v === 'none' || v === 'optional_gbizid' ? v : 'optional_gbizid';
}
