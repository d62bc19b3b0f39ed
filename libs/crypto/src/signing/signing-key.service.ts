import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
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
 * database cannot re-sign a forged history. With KEY_PROVIDER=pkcs11 the key
 * pair lives in the HSM (never extractable) and signing happens there;
 * otherwise it is a PEM file (SIGNING_KEY_FILE, or
 * DATA_DIR/keys/signing-ed25519.pem created with 0600 on first start).
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private privateKey?: KeyObject;
  private publicKey: KeyObject;
  private jwk: PublicJwk;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KEY_PROVIDER) private readonly provider: KeyProvider,
  ) {}

  private get inProvider(): boolean {
    return this.config.keyProvider === 'pkcs11' && !!this.provider.signEd25519 && !!this.provider.ed25519PublicKeyRaw;
  }

  onModuleInit(): void {
    if (this.inProvider) {
      const x = this.provider.ed25519PublicKeyRaw!().toString('base64url');
      this.publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    } else {
      const file = this.config.signingKeyFile ?? path.join(this.config.dataDir, 'keys', 'signing-ed25519.pem');
      if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        const { privateKey } = generateKeyPairSync('ed25519');
        // 'wx': never overwrite a key another process has just written.
        try {
          fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
      }
      this.privateKey = createPrivateKey(fs.readFileSync(file));
      if (this.privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
      this.publicKey = createPublicKey(this.privateKey);
    }
    const x = (this.publicKey.export({ format: 'jwk' }) as { x: string }).x;
    this.jwk = { kty: 'OKP', crv: 'Ed25519', x, kid: okpThumbprint(x), use: 'sig', alg: 'EdDSA' };
  }

  get keyId(): string {
    return this.jwk.kid;
  }

  /** Where the private key is: 'pkcs11' (HSM) or 'file'. */
  get location(): 'pkcs11' | 'file' {
    return this.privateKey ? 'file' : 'pkcs11';
  }

  publicJwk(): PublicJwk {
    return { ...this.jwk };
  }

  /** Ed25519 signature (base64url) over the UTF-8 bytes of `message`. */
  async sign(message: string): Promise<string> {
    const data = Buffer.from(message, 'utf8');
    if (this.privateKey) return sign(null, data, this.privateKey).toString('base64url');
    return (await this.provider.signEd25519!(data)).toString('base64url');
  }

  verify(message: string, signature: string): boolean {
    try {
      return verify(null, Buffer.from(message, 'utf8'), this.publicKey, Buffer.from(signature, 'base64url'));
    } catch {
      return false;
    }
  }
}
