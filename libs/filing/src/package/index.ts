/**
 * The e-Gov package builder: pure functions from an application to the ZIP
 * that `POST /apply` takes. No Nest, no database, no network.
 */
export { buildPackage, DEFAULT_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_TOTAL_BYTES } from './package';
export { buildFormXml, formFileName, FORM_XML_FORMAT } from './form-xml';
export type { FormXmlInput } from './form-xml';
export { buildKouseiXml, KOUSEI_FILE_NAME } from './kousei-xml';
export type { KouseiXmlInput } from './kousei-xml';
export { toGovEraDate, PENSION_ERA_CODES, EMPLOYMENT_ERA_CODES, EMPLOYMENT_ERA_CODES_VERIFIED } from './era-format';
export type { EraCodeSet, GovEraDate } from './era-format';
export {
  EGOV_PROCEDURES,
  DEFAULT_SUBMIT_TO,
  PLACEHOLDER_PROC_ID_PREFIX,
  egovProcedure,
  resolveProcId,
  resolveSubmitTo,
  isPlaceholderProcId,
} from './procedure-ids';
export type { EgovProcedureInfo, ProcedureFamily } from './procedure-ids';
export { safeFileName, uniqueSafeFileNames, isSafeFileName, MAX_FILE_NAME_LENGTH } from './file-names';
export { EgovPackageError } from './errors';
export type { EgovPackageErrorCode } from './errors';
export type * from './types';
