/** Nest injection token of the configured KeyProvider (local master key file, or PKCS#11 HSM). */
export const KEY_PROVIDER = Symbol('KEY_PROVIDER');
