import * as fs from 'node:fs';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import * as tls from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import type { Destination } from '../destination/destinations.service';

/** Why an attempt failed, as the delivery log shows it (never the receiver's own words). */
export type DeliveryErrorClass =
  'timeout' | 'connection' | 'tls' | 'redirect' | 'http_status' | 'address_not_allowed' | 'dns' | 'webhook_disabled' | 'internal';

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: DeliveryErrorClass | null;
  responseMs: number;
}

/** No answer within this time is a failure (api.md: 10 s), whatever the receiver is doing. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** What is read of an answer before the connection is dropped: the body is never stored. */
const MAX_ANSWER_BYTES = 64 * 1024;

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/;

function classify(e: NodeJS.ErrnoException): DeliveryErrorClass {
  if (e.code === 'ETIMEDOUT' || e.message === 'webhook timeout') return 'timeout';
  if (e.code && TLS_CODES.test(e.code)) return 'tls';
  return 'connection';
}

/**
 * One POST to a checked destination. The TCP connection goes to the address the guard checked (the
 * `lookup` below answers it whatever name is asked), while TLS verifies the certificate against the
 * URL's host name, as usual; redirects are never followed (a 3xx is a failure: following one would
 * reach a host nobody checked). Trusted CAs: the system's, plus WEBHOOK_CA_FILE.
 */
@Injectable()
export class WebhookSender {
  private readonly ca: string[] | undefined;
  timeoutMs = WEBHOOK_TIMEOUT_MS;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.ca = config.webhookCaFile ? [...tls.rootCertificates, fs.readFileSync(config.webhookCaFile, 'utf8')] : undefined;
  }

  send(dest: Destination, body: string, headers: Record<string, string>): Promise<SendResult> {
    const started = Date.now();
    const pinned: LookupFunction = (_hostname, options, callback) => {
      // Node asks for all addresses when it may try several (autoSelectFamily): one answer, the checked one.
      if ((options as { all?: boolean }).all)
        (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
          { address: dest.address, family: dest.family },
        ]);
      else callback(null, dest.address, dest.family);
    };
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const done = (r: Omit<SendResult, 'responseMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...r, responseMs: Date.now() - started });
      };
      const req = https.request({
        host: dest.host,
        port: dest.port,
        path: `${dest.url.pathname}${dest.url.search}`,
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        lookup: pinned,
        ca: this.ca,
        // A fresh connection per delivery: no pooled socket to an address checked for another URL.
        agent: false,
        minVersion: 'TLSv1.2',
      });
      const timer = setTimeout(() => req.destroy(new Error('webhook timeout')), this.timeoutMs);
      req.on('response', (res) => {
        const code = res.statusCode ?? 0;
        let read = 0;
        res.on('data', (c: Buffer) => {
          read += c.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        const finish = () =>
          done({
            ok: code >= 200 && code < 300,
            statusCode: code,
            error: code >= 200 && code < 300 ? null : code >= 300 && code < 400 ? 'redirect' : 'http_status',
          });
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      req.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, statusCode: null, error: classify(e) }));
      req.end(body);
    });
  }
}
