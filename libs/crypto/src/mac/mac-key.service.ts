import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@charlotte/core';

const KEY_BYTES = 32;

/**
 * HMAC-SHA256 over values we hand to a browser and must recognise when they
 * come back (the SAML RelayState). The key lives outside the database, like the
 * signing key: MAC_KEY_FILE or DATA_DIR/keys/mac.key, 32 random bytes created
 * with 0600 on first start. Every purpose gets its own HKDF-derived subkey, so
 * a tag made for one use is never valid for another.
 */
@Injectable()
export class MacKeyService implements OnModuleInit {
  private key: Buffer;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit(): void {
    const file = this.config.macKeyFile ?? path.join(this.config.dataDir, 'keys', 'mac.key');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      try {
        fs.writeFileSync(file, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    const key = fs.readFileSync(file);
    if (key.length !== KEY_BYTES) throw new Error(`${file} must hold exactly ${KEY_BYTES} bytes`);
    this.key = key;
  }

  /** base64url tag (truncated to `bytes`, at least 16) over `data` for `purpose`. */
  tag(purpose: string, data: string, bytes = 32): string {
    const sub = createHmac('sha256', this.key).update(`charlotte-mac-v1:${purpose}`).digest();
    return createHmac('sha256', sub)
      .update(data, 'utf8')
      .digest()
      .subarray(0, Math.max(16, Math.min(32, bytes)))
      .toString('base64url');
  }

  /** Constant-time check of a tag made by `tag()` with the same purpose and length. */
  check(purpose: string, data: string, tag: string, bytes = 32): boolean {
    const want = Buffer.from(this.tag(purpose, data, bytes));
    const got = Buffer.from(tag);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}
