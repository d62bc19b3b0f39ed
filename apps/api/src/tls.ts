import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import type { ServerOptions } from 'node:https';
import { AppConfig, ConfigError } from '@charlotte/core';

/**
 * Mozilla Server Side TLS, "intermediate" configuration (guidelines 5.7,
 * https://ssl-config.mozilla.org/guidelines/5.7.json and
 * https://wiki.mozilla.org/Security/Server_Side_TLS#Intermediate_compatibility_.28recommended.29):
 * TLS 1.2 and 1.3; for TLS 1.2 only AEAD suites with forward secrecy (ECDHE,
 * DHE with 2048-bit ffdhe), in Mozilla's order; TLS 1.3 suites are OpenSSL's
 * defaults, which are Mozilla's three (AES-128-GCM, AES-256-GCM, CHACHA20).
 * Curves X25519, P-256, P-384. The client's preference decides
 * (`ssl_prefer_server_ciphers off`): every suite on the list is strong, and
 * clients without AES hardware pick ChaCha20.
 */
export const MOZILLA_INTERMEDIATE_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
].join(':');
export const MOZILLA_INTERMEDIATE_CURVES = 'X25519:P-256:P-384';
/** HSTS max-age of Mozilla's guidelines (two years); at least one year is what HSTS preload lists ask. */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;

/**
 * The HTTPS options of the public listener when TLS_CERT_FILE and TLS_KEY_FILE
 * are set (undefined otherwise: plain HTTP behind a TLS-terminating proxy).
 * Reads and checks the files now, so that a bad certificate or key stops the
 * boot with a ConfigError (exit 78) naming the variable, rather than the first
 * handshake failing. TLS 1.0/1.1 are refused (security guide: TLS 1.2 or newer;
 * both are deprecated by RFC 8996).
 */
export function tlsServerOptions(config: Pick<AppConfig, 'tlsCertFile' | 'tlsKeyFile'>): ServerOptions | undefined {
  if (!config.tlsCertFile || !config.tlsKeyFile) return undefined;
  const problems: string[] = [];
  const read = (name: string, file: string): Buffer | undefined => {
    try {
      return fs.readFileSync(file);
    } catch {
      problems.push(`${name} cannot be read: "${file}"`);
      return undefined;
    }
  };
  const cert = read('TLS_CERT_FILE', config.tlsCertFile);
  const key = read('TLS_KEY_FILE', config.tlsKeyFile);
  if (cert && key) {
    let x509: X509Certificate | undefined;
    try {
      x509 = new X509Certificate(cert);
    } catch {
      problems.push('TLS_CERT_FILE is not a PEM certificate');
    }
    try {
      const k = createPrivateKey(key);
      if (x509 && !x509.checkPrivateKey(k)) problems.push('TLS_KEY_FILE is not the private key of the certificate in TLS_CERT_FILE');
    } catch {
      // The key file's content is never echoed: it is a secret.
      problems.push('TLS_KEY_FILE is not an unencrypted PEM private key');
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    cert,
    key,
    minVersion: 'TLSv1.2',
    ciphers: MOZILLA_INTERMEDIATE_CIPHERS,
    ecdhCurve: MOZILLA_INTERMEDIATE_CURVES,
    // Mozilla: ffdhe2048 for the DHE suites; Node's 'auto' picks a well-known group of the key's strength.
    dhparam: 'auto',
    honorCipherOrder: false,
  };
}
