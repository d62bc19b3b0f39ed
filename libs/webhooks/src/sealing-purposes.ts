/** The sealing purpose of a webhook's signing secret (part of each ciphertext's associated data; record id = webhook id). */
export const WEBHOOK_SECRET_PURPOSE = 'webhook.secret';
