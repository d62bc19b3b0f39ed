import { ApplicationsErrors } from '../errors';

/** Per-client rights of a staff member (api.md "Assignments"). Seeing a client's offices and applications needs none. */
export const CLIENT_RIGHTS = ['draft', 'submit', 'documents', 'offices'] as const;
export type ClientRight = (typeof CLIENT_RIGHTS)[number];

/**
 * What one caller may see and do among the 顧問先 (clients) of a tenant: every client (admins, API
 * tokens, anyone in a company tenant, staff assigned "all"), or the assigned ones with their rights.
 *
 * Visibility is applied inside the repositories' queries (`officeCondition`, `applicationCondition`),
 * never by filtering rows after loading them: a row the caller may not see is never read, so it
 * cannot leak through a list, a count, a cursor or an error message, and it answers 404 exactly like
 * another tenant's id. Rights are checked on the client of a row the caller may see (403 right_missing).
 */
export class ClientAccess {
  private constructor(
    readonly all: boolean,
    private readonly rights: ReadonlyMap<string, ReadonlySet<ClientRight>>,
  ) {}

  /** Sees every client (and the offices without one), with every right. */
  static everything(): ClientAccess {
    return new ClientAccess(true, new Map());
  }

  /** Sees the assigned clients only. An office without a client is not among them: admins only. */
  static assigned(rows: ReadonlyArray<{ clientId: string; rights: readonly string[] }>): ClientAccess {
    const map = new Map<string, Set<ClientRight>>();
    for (const r of rows)
      map.set(r.clientId, new Set(r.rights.filter((x): x is ClientRight => (CLIENT_RIGHTS as readonly string[]).includes(x))));
    return new ClientAccess(false, map);
  }

  /** The visible clients' ids (empty when `all`: every client is visible). */
  get clientIds(): string[] {
    return [...this.rights.keys()];
  }

  /** Whether a client is visible (null: an office without a client, visible only with `all`). */
  sees(clientId: string | null): boolean {
    return this.all || (clientId !== null && this.rights.has(clientId));
  }

  can(clientId: string | null, right: ClientRight): boolean {
    return this.all || (clientId !== null && (this.rights.get(clientId)?.has(right) ?? false));
  }

  /** 403 right_missing unless the caller has `right` on this (visible) client. */
  require(clientId: string | null, right: ClientRight): void {
    if (!this.can(clientId, right)) throw ApplicationsErrors.rightMissing(right);
  }

  /** SQL condition: the `clients` row aliased `alias` is visible. */
  clientCondition(alias: string, params: unknown[]): string {
    if (this.all) return 'TRUE';
    params.push(this.clientIds);
    return `${alias}.id = ANY($${params.length}::uuid[])`;
  }

  /** The caller's rights on a visible client (every right with `all`). */
  rightsOn(clientId: string): ClientRight[] {
    return CLIENT_RIGHTS.filter((r) => this.can(clientId, r));
  }

  /**
   * SQL condition: the `offices` row aliased `alias` is visible. Pushes its parameter onto `params`
   * (the caller's positional parameters) when it needs one.
   */
  officeCondition(alias: string, params: unknown[]): string {
    if (this.all) return 'TRUE';
    params.push(this.clientIds);
    return `${alias}.client_id = ANY($${params.length}::uuid[])`;
  }

  /**
   * SQL condition: the application whose office id is in column `officeIdColumn` (and tenant in
   * `tenantColumn`) is visible: its office belongs to a visible client.
   */
  applicationCondition(officeIdColumn: string, tenantColumn: string, params: unknown[]): string {
    if (this.all) return 'TRUE';
    params.push(this.clientIds);
    return `${officeIdColumn} IN (SELECT vo.id FROM offices vo WHERE vo.tenant_id = ${tenantColumn} AND vo.client_id = ANY($${params.length}::uuid[]))`;
  }
}
