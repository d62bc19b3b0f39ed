import { createHmac, randomBytes } from 'node:crypto';

/**
 * The signature of a delivery (api.md "Webhooks", as Stripe and GitHub sign theirs):
 * `v1=` + hex HMAC-SHA256, keyed with the secret's UTF-8 bytes, over `<timestamp>.<body>`, the
 * timestamp being the `Charlotte-Webhook-Timestamp` header (Unix seconds). Signing the timestamp
 * lets a receiver refuse replays of an old delivery; signing the exact body bytes lets it refuse any
 * change. A receiver compares in constant time.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** A new signing secret: 32 random bytes, base64url, with a recognisable prefix (secret scanners find leaked ones). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
