import { DomainError } from '@charlotte/core';

/**
 * Every error code libs/crypto answers with, one factory each (see libs/auth/src/errors.ts).
 * A missing tenant key is a server fault (500): every tenant gets its key when it is created.
 */
export const CryptoErrorCode = {
  TenantKeysMissing: 'tenant_keys_missing',
  TenantKeyMissing: 'tenant_key_missing',
} as const;
export type CryptoErrorCode = (typeof CryptoErrorCode)[keyof typeof CryptoErrorCode];

export const CryptoErrors = {
  tenantKeysMissing: () =>
    new DomainError(500, CryptoErrorCode.TenantKeysMissing, 'Tenant keys missing', 'This tenant has no encryption key.'),
  tenantKeyMissing: (version: number) =>
    new DomainError(500, CryptoErrorCode.TenantKeyMissing, 'Tenant key missing', `Key version ${version} of this tenant does not exist.`),
  tenantKeysNotFound: () => new DomainError(404, 'not_found', 'Not found', 'tenant keys not found'),
};
