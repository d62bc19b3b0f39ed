/** Injection tokens of the two ports this lib provides (StorageModule binds them from the configuration). */
export const BLOB_STORE = Symbol('BLOB_STORE');
export const MALWARE_SCANNER = Symbol('MALWARE_SCANNER');
