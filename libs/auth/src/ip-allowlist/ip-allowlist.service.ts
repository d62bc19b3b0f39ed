import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { FieldError, ValidationFailedError } from '@charlotte/core';
import { AuthErrors } from '../errors';
import { addressAllowed, allowListOf, parseCidr } from './cidr';
import { IpAllowlistAppliesTo, IpAllowlistDto, IpAllowlistView } from './dto/ip-allowlist.dto';

/** A tenant's list read once for the checks of one request (IpAllowlistService.snapshot). */
export interface IpAllowlistSnapshot {
  readonly tenantId: string;
  readonly row: Readonly<IpAllowlistRow> | undefined;
}

/** A row of tenant_ip_allowlists as the checks read it (also read by the session lookup's join). */
export interface IpAllowlistRow {
  enabled: boolean;
  cidrs: string[];
  applies_to: IpAllowlistAppliesTo;
  updated_at: Date;
}

/**
 * Who is asking, for the `appliesTo` rule: an administrator, a member, an API token, or
 * someone not identified yet (the password step before the password is checked: only a
 * list that applies to everybody can refuse them there).
 */
export type IpSubject = 'admin' | 'member' | 'token' | 'unidentified';

/** Where a refusal happened, for the audit event. */
export type IpCheckPoint = { kind: 'request'; route: string; method: string } | { kind: 'login'; step: string };

/** `::ffff:203.0.113.5` (an IPv4 client of a dual-stack listener) as people write it. */
export function displayAddress(ip: string | undefined): string {
  if (!ip) return '';
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1] : ip;
}

// Repeated refusals of one principal from one address are audited once a minute: a browser
// left open outside the office polls, and each poll would otherwise write an event. The
// first refusal (and one a minute after) is the evidence; the rest add nothing.
const AUDIT_EVERY_MS = 60_000;

/**
 * The tenant's IP allow-list (api.md "IP allow-list"): storage, canonical CIDRs, the
 * lock-out guard on save, and the check every authenticated request and every login
 * passes (SessionAuthGuard, AuthService, SamlLoginService). Operators have no tenant
 * and are never subject to a tenant's list.
 */
@Injectable()
export class IpAllowlistService {
  private readonly lastAudit = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  private async row(db: DataSource | EntityManager, tenantId: string): Promise<IpAllowlistRow | undefined> {
    const r: IpAllowlistRow[] = await db.query(
      'SELECT enabled, cidrs, applies_to, updated_at FROM tenant_ip_allowlists WHERE tenant_id = $1',
      [tenantId],
    );
    return r[0];
  }

  async get(tenantId: string, callerIp: string | undefined): Promise<IpAllowlistView> {
    const r = await this.row(this.ds, tenantId);
    const cidrs = r?.cidrs ?? [];
    return {
      enabled: r?.enabled ?? false,
      cidrs,
      appliesTo: r?.applies_to ?? 'all',
      currentAddress: displayAddress(callerIp),
      currentAddressAllowed: addressAllowed(allowListOf(cidrs), callerIp),
      updatedAt: r ? new Date(r.updated_at).toISOString() : null,
    };
  }

  /** Canonical, de-duplicated CIDRs in the order given; 400 with `invalid_cidr` on each bad entry (nothing is saved). */
  private canonical(dto: IpAllowlistDto): string[] {
    const errors: FieldError[] = [];
    const out: string[] = [];
    dto.cidrs.forEach((entry, i) => {
      const c = parseCidr(entry);
      if (typeof c === 'string') {
        errors.push({
          field: `cidrs[${i}]`,
          code: 'invalid_cidr',
          message: 'must be an IPv4 or IPv6 address or network in CIDR notation (203.0.113.0/24, 2001:db8::/32)',
        });
      } else if (!out.includes(c.text)) out.push(c.text);
    });
    // An enabled list without entries would refuse everyone, the operator's reset being the only way back.
    if (dto.enabled && dto.cidrs.length === 0)
      errors.push({ field: 'cidrs', code: 'too_few_items', params: { min: 1 }, message: 'an enabled list needs at least 1 entry' });
    if (errors.length) throw new ValidationFailedError(errors);
    return out;
  }

  /**
   * Saves the list. An administrator saves from their own address: a list that would
   * refuse it answers 409 would_lock_out unless they confirmed (they may be about to
   * move to the office network, or configure from a VPN they will use from now on).
   */
  async put(tenantId: string, dto: IpAllowlistDto, callerIp: string | undefined, userId: string): Promise<IpAllowlistView> {
    const cidrs = this.canonical(dto);
    // The caller is an administrator: both `all` and `admins` restrict them.
    if (dto.enabled && !dto.confirmOwnAddress && !addressAllowed(allowListOf(cidrs), callerIp)) throw AuthErrors.wouldLockOut();
    const old = await this.ds.transaction(async (m) => {
      const before: Array<Pick<IpAllowlistRow, 'enabled' | 'cidrs'>> = await m.query(
        'SELECT enabled, cidrs FROM tenant_ip_allowlists WHERE tenant_id = $1 FOR UPDATE',
        [tenantId],
      );
      await m.query(
        `INSERT INTO tenant_ip_allowlists (tenant_id, enabled, cidrs, applies_to, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, now(), $5)
         ON CONFLICT (tenant_id) DO UPDATE SET enabled = $2, cidrs = $3, applies_to = $4, updated_at = now(), updated_by = $5`,
        [tenantId, dto.enabled, cidrs, dto.appliesTo, userId],
      );
      return before[0];
    });
    const oldCidrs = old?.cidrs ?? [];
    // Network ranges are configuration, not personal data: the trail says exactly what was opened or closed.
    await this.audit.record({
      category: 'security',
      action: 'ip_allowlist.changed',
      outcome: 'success',
      tenantId,
      target: { type: 'tenant', id: tenantId },
      details: {
        enabled: dto.enabled,
        wasEnabled: old?.enabled ?? false,
        appliesTo: dto.appliesTo,
        entries: cidrs.length,
        added: cidrs.filter((c) => !oldCidrs.includes(c)),
        removed: oldCidrs.filter((c) => !cidrs.includes(c)),
        ownAddressExcluded: dto.enabled && !addressAllowed(allowListOf(cidrs), callerIp),
      },
    });
    return this.get(tenantId, callerIp);
  }

  /**
   * Break-glass (operators, libs/backup): switches the list off, keeping its entries so
   * that the administrators can correct and re-enable it. Returns whether it was on.
   * Audit and お知らせ are the caller's (it records on both chains).
   */
  async disable(m: EntityManager, tenantId: string): Promise<{ wasEnabled: boolean; entries: number }> {
    const r: [Array<{ entries: number; was: boolean }>, number] = await m.query(
      `UPDATE tenant_ip_allowlists n SET enabled = false, updated_at = now(), updated_by = NULL
         FROM (SELECT tenant_id, enabled AS was FROM tenant_ip_allowlists WHERE tenant_id = $1 FOR UPDATE) o
        WHERE n.tenant_id = o.tenant_id
        RETURNING cardinality(n.cidrs) AS entries, o.was`,
      [tenantId],
    );
    const row = r[0][0];
    return { wasEnabled: row?.was ?? false, entries: row?.entries ?? 0 };
  }

  /**
   * The tenant's list as it is now, for the checks of one request (the password step checks it
   * twice: before the user is known and after): one read instead of one per check.
   */
  async snapshot(tenantId: string): Promise<IpAllowlistSnapshot> {
    return { tenantId, row: await this.row(this.ds, tenantId) };
  }

  /** Whether the tenant's list lets `ip` in for this subject (no list, or off: yes). */
  async allows(tenantId: string, subject: IpSubject, ip: string | undefined, list?: IpAllowlistSnapshot): Promise<boolean> {
    const r = list && list.tenantId === tenantId ? list.row : await this.row(this.ds, tenantId);
    if (!r?.enabled) return true;
    // `admins`: administrators and API tokens (minted by administrators, long-lived, one factor,
    // and able to read the audit trail and backups) are held to the list; members are not. Before
    // the user is known, nobody can be told apart, so nobody is refused there.
    if (r.applies_to === 'admins' && (subject === 'member' || subject === 'unidentified')) return true;
    return addressAllowed(allowListOf(r.cidrs), ip);
  }

  /**
   * Refuses with 403 ip_not_allowed when the list does not let `ip` in, after a `security`
   * audit event. The address itself is in the event's `ip` column, as for every event
   * (it is the evidence of where the attempt came from); details carry no address.
   */
  async assertAllowed(
    tenantId: string | null,
    subject: IpSubject,
    ip: string | undefined,
    at: IpCheckPoint,
    actor?: { type: 'user' | 'api_token'; id: string },
    list?: IpAllowlistSnapshot,
  ): Promise<void> {
    // Operators (no tenant) are not subject to a tenant's list.
    if (!tenantId || (await this.allows(tenantId, subject, ip, list))) return;
    if (at.kind === 'login') {
      await this.audit.record({
        category: 'security',
        action: 'auth.login',
        outcome: 'denied',
        tenantId,
        actor: { type: 'anonymous' },
        target: actor ? { type: 'user', id: actor.id } : undefined,
        details: { step: at.step, reason: 'ip_not_allowed' },
      });
    } else if (this.shouldAudit(`${actor?.type}:${actor?.id}|${ip ?? ''}`)) {
      await this.audit.record({
        category: 'security',
        action: 'http.ip_not_allowed',
        outcome: 'denied',
        tenantId,
        actor,
        details: { method: at.method, route: at.route, principal: subject === 'token' ? 'api_token' : 'session' },
      });
    }
    throw AuthErrors.ipNotAllowed();
  }

  private shouldAudit(key: string): boolean {
    const now = Date.now();
    const last = this.lastAudit.get(key);
    if (last !== undefined && now - last < AUDIT_EVERY_MS) return false;
    if (this.lastAudit.size > 10_000) this.lastAudit.clear(); // bounded: a flood of addresses cannot grow it
    this.lastAudit.set(key, now);
    return true;
  }
}
