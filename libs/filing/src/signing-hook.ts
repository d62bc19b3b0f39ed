/**
 * The signing hook of the filing services: they depend on this interface and token only; FilingModule
 * binds the token to SigningCredentialsService (libs/filing/src/signing). NO_SIGNING_CREDENTIALS (no
 * certificate anywhere) is for unit tests of the services.
 */
import { egovMapping, type ProcedureDefinition } from '@charlotte/procedures';
import type { PackageSigner } from './package';

/** What the package builder signs with (XML-DSig); the filing services only hand it on. */
export type PackageSignerRef = PackageSigner;

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
 * 'optional-gbiz' (e-Gov accepts it unsigned for a GビズID login), 'none'.
 */
export type SignaturePolicy = 'required' | 'optional-gbiz' | 'none';

/** The part of a procedure's e-Gov mapping (<code>.v<N>.egov.json) the filing services read. */
export interface EgovMappingFacts {
  /** 手続名称 as e-Gov writes it */
  procName?: string;
  signature?: string;
}

/** The e-Gov mapping (<code>.v<N>.egov.json) the procedure registry attached to a definition. */
export function egovFactsOf(def: ProcedureDefinition): EgovMappingFacts | undefined {
  return egovMapping(def);
}

/**
 * The mapping's signature policy; without one (or an unknown value) 'optional-gbiz': the four
 * procedures we file (日本年金機構 資格取得/喪失/賞与, 雇用保険 資格取得) accept a GビズID login unsigned.
 */
export function signaturePolicyOf(facts: EgovMappingFacts | undefined): SignaturePolicy {
  const v = facts?.signature;
  return v === 'required' || v === 'none' || v === 'optional-gbiz' ? v : 'optional-gbiz';
}

/** The 手続名称 e-Gov prints for a procedure (GET /apply/lists has no proc_id): the mapping's, else the definition's name. */
export function procNameOf(def: ProcedureDefinition): string {
  const n = egovFactsOf(def)?.procName;
  return typeof n === 'string' && n ? n : def.name;
}
