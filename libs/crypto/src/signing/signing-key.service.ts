import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@charlotte/core';

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
 * certificates). Kept outside the database: a PEM file (SIGNING_KEY_FILE, or
 * DATA_DIR/keys/signing-ed25519.pem created with 0600 on first start), so that
 * someone who can rewrite the database cannot re-sign a forged history.
 * libs/crypto's key providers (HSM) will take this over.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private privateKey: KeyObject;
  private publicKey: KeyObject;
  private jwk: PublicJwk;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit(): void {
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
    const x = (this.publicKey.export({ format: 'jwk' }) as { x: string }).x;
    this.jwk = { kty: 'OKP', crv: 'Ed25519', x, kid: okpThumbprint(x), use: 'sig', alg: 'EdDSA' };
  }

  get keyId(): string {
    return this.jwk.kid;
  }

  publicJwk(): PublicJwk {
    return { ...this.jwk };
  }

  /** Ed25519 signature (base64url) over the UTF-8 bytes of `message`. */
  sign(message: string): string {
    return sign(null, Buffer.from(message, 'utf8'), this.privateKey).toString('base64url');
  }

  verify(message: string, signature: string): boolean {
    try {
      return verify(null, Buffer.from(message, 'utf8'), this.publicKey, Buffer.from(signature, 'base64url'));
    } catch {
      return false;
    }
  }
}
