export * from './signing.module';
export * from './signing-credentials.service';
export * from './signing-certificates.service';
export * from './signing-errors';
export * from './dto/signing.dto';
export { openPkcs12, MIN_RSA_BITS, type OpenedPkcs12 } from './pkcs12';
export { MAX_PROXY_CERTIFICATE_BYTES } from './proxy-certificates.service';
