import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import type { UrlRefusal } from '../errors';
import { addressRefusal } from './address-policy';

/** Where a delivery goes: the URL, and the one address checked for it (the connection is pinned to it). */
export interface Destination {
  url: URL;
  /** The host as TLS and the Host header see it (IPv6 without brackets). */
  host: string;
  port: number;
  address: string;
  family: 4 | 6;
  /** Named in WEBHOOK_ALLOW_HOSTS: a private receiver the operator allowed. */
  allowedByConfig: boolean;
}

export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

/** A URL or address that may not receive webhooks. */
export class DestinationRefused extends Error {
  constructor(readonly reason: UrlRefusal) {
    super(`webhook destination refused: ${reason}`);
    this.name = 'DestinationRefused';
  }
}

/**
 * The SSRF guard of webhooks (api.md): https only, no credentials in the URL, and a host that
 * resolves only to public addresses, checked when a webhook is saved and again before every
 * delivery (DNS may have changed since). The caller connects to the address returned here and
 * never resolves the name again, so a DNS answer that changes between the check and the connection
 * (rebinding) cannot send the request elsewhere. Hosts named in WEBHOOK_ALLOW_HOSTS (host:port)
 * skip the address check: on-premise receivers and tests.
 */
@Injectable()
export class WebhookDestinations {
  /** The system resolver; tests put their own here (a name that answers a private address, rebinding). */
  resolve: Resolver = (host) => dns.lookup(host, { all: true, verbatim: true });
  private readonly allowHosts: ReadonlySet<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowHosts = new Set(config.webhookAllowHosts);
  }

  /** The checks that need no DNS: a URL the SPA can refuse at once. Throws DestinationRefused. */
  parse(raw: string): URL {
    if (!URL.canParse(raw)) throw new DestinationRefused('invalid');
    const url = new URL(raw);
    // Plain http would send the signed events (and let anyone on the path change the answer) in clear text.
    if (url.protocol !== 'https:') throw new DestinationRefused('not_https');
    // Credentials in a URL end up in logs and screens; the signature is the receiver's proof.
    if (url.username || url.password) throw new DestinationRefused('credentials');
    if (!url.hostname) throw new DestinationRefused('host');
    return url;
  }

  /** Parses, resolves and checks `raw`; answers the address to connect to. Throws DestinationRefused. */
  async check(raw: string): Promise<Destination> {
    const url = this.parse(raw);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const port = url.port ? Number(url.port) : 443;
    const allowedByConfig = this.allowHosts.has(`${url.hostname.toLowerCase()}:${port}`);
    let candidates: Array<{ address: string; family: number }>;
    if (isIP(host)) candidates = [{ address: host, family: isIP(host) }];
    else {
      try {
        candidates = await this.resolve(host);
      } catch {
        throw new DestinationRefused('unresolvable');
      }
      if (!candidates.length) throw new DestinationRefused('unresolvable');
    }
    // Every address must be public, not only the first: the system may try the others, and an attacker
    // controls the order of the answers.
    if (!allowedByConfig && candidates.some((c) => addressRefusal(c.address) !== null)) throw new DestinationRefused('private_address');
    const first = candidates[0];
    return { url, host, port, address: first.address, family: first.family === 6 ? 6 : 4, allowedByConfig };
  }
}
