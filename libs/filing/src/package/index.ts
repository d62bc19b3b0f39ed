/**
 * The e-Gov package builder: pure functions from an application to the ZIP
 * that `POST /apply` takes. No Nest, no database, no network.
 */
export {
  buildPackage,
  buildWithdrawalPackage,
  checkPackage,
  DEFAULT_MAX_ATTACHMENT_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
  PROXY_CERTIFICATE_TITLE,
  WITHDRAWAL_FILE_NAME,
  WITHDRAWAL_FORM_ID,
} from './package';
export { createXmlDsigSigner, verifyPackageSignature, DSIG_NS, C14N_ALGORITHM, RSA_SHA256_ALGORITHM, SHA256_ALGORITHM } from './signature';
export type { SignerKey, SignatureVerification } from './signature';
export { buildFormXml, formFileName, FORM_XML_FORMAT, pensionOfficeCodeParts, jstDate } from './form-xml';
export type { FormXmlInput } from './form-xml';
export {
  buildKouseiXml,
  kouseiXml,
  KOUSEI_FILE_NAME,
  KOUSEI_FORM_ID,
  WITHDRAWAL_KOUSEI_FORM_ID,
  APPLY_TYPES,
  ARRIVE_ID_RE,
} from './kousei-xml';
export type { KouseiXmlInput, KouseiSpec, KouseiApplyType } from './kousei-xml';
export { toGovEraDate, PENSION_ERA_CODES, EMPLOYMENT_ERA_CODES, EMPLOYMENT_ERA_CODES_VERIFIED } from './era-format';
export type { EraCodeSet, GovEraDate } from './era-format';
export {
  EGOV_PROCEDURES,
  DEFAULT_SUBMIT_TO,
  PLACEHOLDER_PROC_ID_PREFIX,
  egovProcedure,
  egovMappingFor,
  WITHDRAWAL_PROC_ID,
  resolveProcId,
  resolveSubmitTo,
  isPlaceholderProcId,
} from './procedure-ids';
export type { EgovProcedureInfo, ProcedureFamily } from './procedure-ids';
export { safeFileName, uniqueSafeFileNames, isSafeFileName, MAX_FILE_NAME_LENGTH } from './file-names';
export { EgovPackageError } from './errors';
export type { EgovPackageErrorCode } from './errors';
export type * from './types';
