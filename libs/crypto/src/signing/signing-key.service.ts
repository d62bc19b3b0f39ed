import { createHash, createPublicKey, KeyObject, verify } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { KeyProvider } from '../keys/key-provider';
import { KEY_PROVIDER } from '../tenant-keys/key-provider.token';

export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  use: 'sig';
  alg: 'EdDSA';
}

/** RFC 7638 thumbprint of an OKP key (members crv, kty, x in lexicographic order). */
export function okpThumbprint(x: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
    .digest('base64url');
}

/**
 * The service's Ed25519 signing key (audit checkpoints, later deletion
 * certificates), kept outside the database so that someone who can rewrite the
 * database cannot re-sign a forged history. It lives behind the KeyProvider:
 * with `pkcs11` a key pair inside the HSM (never extractable, signing happens
 * there); with `local` a PEM file (SIGNING_KEY_FILE, or
 * DATA_DIR/keys/signing-ed25519.pem created with 0600 on first start).
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private publicKey: KeyObject;
  private jwk: PublicJwk;

  constructor(@Inject(KEY_PROVIDER) private readonly provider: KeyProvider) {}

  onModuleInit(): void {
    if (!this.provider.signEd25519 || !this.provider.ed25519PublicKeyRaw) throw new Error('the key provider cannot sign');
    const x = this.provider.ed25519PublicKeyRaw().toString('base64url');
    this.publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    this.jwk = { kty: 'OKP', crv: 'Ed25519', x, kid: okpThumbprint(x), use: 'sig', alg: 'EdDSA' };
  }

  get keyId(): string {
    return this.jwk.kid;
  }

  /** Where the private key is: in the HSM ('pkcs11') or in a file ('local'). */
  get location(): 'pkcs11' | 'local' {
    return this.provider.kind;
  }

  publicJwk(): PublicJwk {
    return { ...this.jwk };
  }

  /** Ed25519 signature (base64url) over the UTF-8 bytes of `message`. */
  async sign(message: string): Promise<string> {
    return (await this.provider.signEd25519!(Buffer.from(message, 'utf8'))).toString('base64url');
  }

  verify(message: string, signature: string): boolean {
    try {
      return verify(null, Buffer.from(message, 'utf8'), this.publicKey, Buffer.from(signature, 'base64url'));
    } catch {
      return false;
    }
  }
}
