/** Injection tokens of this lib, apart from the services, so that services can use them without importing each other. */
export const BLOB_STORE = Symbol('BLOB_STORE');
export const MALWARE_SCANNER = Symbol('MALWARE_SCANNER');
