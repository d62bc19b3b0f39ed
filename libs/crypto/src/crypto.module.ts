import { Global, Module } from '@nestjs/common';
import { SigningKeyService } from './signing/signing-key.service';

@Global()
@Module({ providers: [SigningKeyService], exports: [SigningKeyService] })
export class CryptoModule {}
