import { Global, Module } from '@nestjs/common';
import { MacKeyService } from './mac/mac-key.service';
import { SigningKeyService } from './signing/signing-key.service';

@Global()
@Module({ providers: [SigningKeyService, MacKeyService], exports: [SigningKeyService, MacKeyService] })
export class CryptoModule {}
