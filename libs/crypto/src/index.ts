export * from './crypto.module';
export * from './mac/mac-key.service';
export * from './signing/signing-key.service';
