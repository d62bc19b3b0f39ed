// The public surface of libs/webhooks (webhooks for integrators, above filing). Only apps/api depends on it.
export * from './webhooks.module';
export * from './webhooks.service';
export * from './delivery/webhook.worker';
export * from './delivery/signature';
export { WEBHOOK_TIMEOUT_MS, WebhookSender } from './delivery/webhook-sender';
export type { DeliveryErrorClass, SendResult } from './delivery/webhook-sender';
export * from './destination/address-policy';
export * from './destination/destinations.service';
export * from './errors';
export * from './dto/webhook.dto';
