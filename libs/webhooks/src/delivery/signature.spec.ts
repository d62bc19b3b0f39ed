import { createHmac } from 'node:crypto';
import { newWebhookSecret, webhookSignature } from './signature';

describe('webhookSignature', () => {
  it('is v1= and the hex HMAC-SHA256 of "timestamp.body" keyed with the secret', () => {
    const body = '{"id":"e1","type":"application.arrived"}';
    const expected = createHmac('sha256', 'whsec_test').update(`1700000000.${body}`).digest('hex');
    expect(webhookSignature('whsec_test', 1700000000, body)).toBe(`v1=${expected}`);
  });

  it('changes with the timestamp, the body and the secret', () => {
    const s = webhookSignature('k', 1, '{}');
    expect(webhookSignature('k', 2, '{}')).not.toBe(s);
    expect(webhookSignature('k', 1, '{ }')).not.toBe(s);
    expect(webhookSignature('k2', 1, '{}')).not.toBe(s);
  });

  it('signs the UTF-8 bytes of a Japanese body', () => {
    const body = '{"note":"到達"}';
    const expected = createHmac('sha256', 'k')
      .update(Buffer.concat([Buffer.from('5.'), Buffer.from(body, 'utf8')]))
      .digest('hex');
    expect(webhookSignature('k', 5, body)).toBe(`v1=${expected}`);
  });

  it('makes secrets that are random and long', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
