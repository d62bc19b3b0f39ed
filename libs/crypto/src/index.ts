export * from './crypto.module';
export * from './signing/signing-key.service';
