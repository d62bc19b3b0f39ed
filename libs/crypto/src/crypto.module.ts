import * as path from 'node:path';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import type { KeyProvider } from './keys/key-provider';
import { KeyProviderReadiness } from './keys/key-provider.readiness';
import { LocalKeyProvider } from './keys/local-key-provider';
import { Pkcs11KeyProvider } from './keys/pkcs11-key-provider';
import { MacKeyService } from './mac/mac-key.service';
import { KeyRotationService } from './rotation/key-rotation.service';
import { SealingService } from './sealing/sealing.service';
import { SigningKeyService } from './signing/signing-key.service';
import { KEY_PROVIDER } from './tenant-keys/key-provider.token';
import { TenantKeysService } from './tenant-keys/tenant-keys.service';

/** The configured KeyProvider, opened (key file read, or HSM session logged in) before anything uses it. */
export async function createKeyProvider(config: AppConfig): Promise<KeyProvider> {
  const provider: KeyProvider =
    config.keyProvider === 'pkcs11'
      ? new Pkcs11KeyProvider({
          libraryPath: config.pkcs11Library,
          tokenLabel: config.pkcs11TokenLabel,
          pin: config.pkcs11Pin ?? '',
          signingKey: {},
        })
      : new LocalKeyProvider({
          file: config.masterKeyFile,
          dataDir: config.dataDir,
          signingKeyFile: config.signingKeyFile ?? path.join(config.dataDir, 'keys', 'signing-ed25519.pem'),
        });
  await provider.init();
  return provider;
}

@Global()
@Module({
  providers: [
    { provide: KEY_PROVIDER, inject: [APP_CONFIG], useFactory: createKeyProvider },
    SigningKeyService,
    MacKeyService,
    TenantKeysService,
    SealingService,
    KeyRotationService,
    KeyProviderReadiness,
  ],
  exports: [KEY_PROVIDER, SigningKeyService, MacKeyService, TenantKeysService, SealingService, KeyRotationService],
})
export class CryptoModule {}
