import { DomainError } from '@charlotte/core';

/**
 * Error codes of the signing certificate and 提出代行証明書 routes (problem+json `code`; the SPA maps each
 * to Japanese and English text). The server's English detail never repeats the PIN or the file.
 */
export const SigningErrorCode = {
  BadPin: 'signing_certificate_bad_pin',
  Unreadable: 'signing_certificate_unreadable',
  Expired: 'signing_certificate_expired',
  KeyUnsupported: 'signing_certificate_key_unsupported',
  Mismatch: 'signing_certificate_mismatch',
  PayloadTooLarge: 'payload_too_large',
} as const;
export type SigningErrorCode = (typeof SigningErrorCode)[keyof typeof SigningErrorCode];

const C = SigningErrorCode;

export const SigningErrors = {
  badPin: () =>
    new DomainError(422, C.BadPin, 'Wrong PIN', 'The PIN does not open this PKCS#12 file. Check the PIN and try again.', [
      { field: 'pin', code: 'wrong_pin', message: 'wrong PIN' },
    ]),
  unreadable: (why: string) =>
    new DomainError(422, C.Unreadable, 'Unreadable certificate file', `The file is not a usable PKCS#12 (.p12/.pfx) file: ${why}.`, [
      { field: 'file', code: 'unreadable_file', message: why },
    ]),
  expired: (notBefore: Date, notAfter: Date) =>
    new DomainError(
      422,
      C.Expired,
      'Certificate not valid now',
      `The certificate is valid from ${notBefore.toISOString()} to ${notAfter.toISOString()}; it cannot sign today.`,
    ),
  keyUnsupported: (what: string) =>
    new DomainError(
      422,
      C.KeyUnsupported,
      'Unsupported key',
      `e-Gov signatures need an RSA key of at least 2048 bits (RSA-SHA256); this file holds ${what}.`,
    ),
  mismatch: () =>
    new DomainError(422, C.Mismatch, 'Key and certificate do not match', 'No certificate in the file belongs to its private key.'),
  tooLarge: (max: number) =>
    new DomainError(413, C.PayloadTooLarge, 'Payload too large', `The file is larger than ${Math.floor(max / 1024)} KiB.`),
  /** Bad multipart body or missing fields (400, with the field). */
  badUpload: (field: string, message: string) =>
    new DomainError(400, 'validation_failed', 'Validation failed', 'The request has invalid fields.', [
      { field, code: 'upload_invalid', message },
    ]),
};
