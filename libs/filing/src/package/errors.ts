/**
 * Stable codes of the package builder's failures. Callers branch on `code`,
 * never on the message.
 */
export type EgovPackageErrorCode =
  /** Our procedure code has no e-Gov mapping (procedure-ids.ts), or a proc_id override is malformed. */
  | 'egov_package_unknown_procedure'
  /** A form value does not fit its field (type, code list, date, unknown field): the form was not validated first. */
  | 'egov_package_invalid_form'
  /** The office, applicant, 提出先 or attachment metadata is not usable (missing name, bad size, bad hash). */
  | 'egov_package_invalid_input'
  /** The office lacks an identifier the form needs (事業所整理記号, 事業所番号, 雇用保険事業所番号). */
  | 'egov_package_office_incomplete'
  /** A text holds a character XML 1.0 cannot carry, or a control character. */
  | 'egov_package_invalid_text'
  /** An attachment's bytes differ from its declared size, changed between two reads, or are not bytes. */
  | 'egov_package_attachment_invalid'
  /** An attachment or the whole package is over the limit. */
  | 'egov_package_too_large'
  /** The signer returned files that cannot be zipped as they are (see buildPackage). */
  | 'egov_package_signer_output_invalid';

/**
 * A package could not be built. Like BlobStoreError this is deliberately not a
 * core DomainError: the builder runs on data the server already validated
 * (form in `complete` mode, attachments scanned and stored), so most of these
 * are server-side faults and become 500 in the problem filter. The submit
 * service maps the ones a user can act on (`egov_package_office_incomplete`,
 * `egov_package_too_large`) to its own domain errors.
 *
 * Messages name the offending path (`form.birthDate`, `attachments[2]`), never
 * the value: a value may be a 個人番号, and messages end up in logs.
 */
export class EgovPackageError extends Error {
  constructor(
    readonly code: EgovPackageErrorCode,
    message: string,
    /** Where the problem is (`form.myNumber`, `applicant.name`, `attachments[1]`), when it has a place. */
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EgovPackageError';
  }
}
