// Test helpers (not shipped: only *.spec.ts files import them).
import { vi } from 'vitest';
import type { AuditEvent, User } from '@/api/client';
import type { BackupGeneration, OperatorTenant } from '@/api/backups';
import type { OperatorIncident } from '@/api/incidents';

export function jsonResponse(status: number, body: unknown, contentType = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': contentType } });
}

export function problem(status: number, code: string, extra: Record<string, unknown> = {}): Response {
  return jsonResponse(
    status,
    { type: 'about:blank', title: code, status, detail: `detail of ${code}`, code, ...extra },
    'application/problem+json',
  );
}

export type Handler = (request: { url: URL; init: RequestInit; body: unknown }) => Response | Promise<Response>;

/**
 * Stubs global fetch with a table of handlers keyed by "METHOD /path" (path
 * after /api/v1, without the query). An unexpected call fails the test.
 */
export function stubApi(handlers: Record<string, Handler>) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    const path = url.pathname.replace(/^\/api\/v1/, '');
    const key = `${init.method ?? 'GET'} ${path}`;
    const handler = handlers[key];
    if (!handler) throw new Error(`unexpected request ${key}`);
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    return handler({ url, init, body });
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

/** Headers of the n-th fetch call, as a plain record. */
export function headersOf(fetchMock: ReturnType<typeof stubApi>, call = 0): Record<string, string> {
  const headers = (fetchMock.mock.calls[call]?.[1]?.headers ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

export function makeUser(overrides: Partial<User> = {}): User {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    email: 'admin@example.com',
    displayName: '管理 太郎',
    role: 'admin',
    status: 'active',
    lockedUntil: null,
    lastLoginAt: '2025-01-06T00:30:00.000Z',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export const TENANT = { id: '00000000-0000-4000-8000-0000000000aa', code: 'acme', name: '株式会社アクメ' };

export function makeAuditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: '10000000-0000-4000-8000-000000000001',
    chain: TENANT.id,
    seq: 1,
    occurredAt: '2026-11-26T05:04:03.123456Z',
    category: 'security',
    action: 'auth.login',
    outcome: 'success',
    tenantId: TENANT.id,
    actor: { type: 'user', id: '00000000-0000-4000-8000-000000000001', label: '管理 太郎', deleted: false },
    target: null,
    requestId: 'req-0001',
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
    details: {},
    prevHash: '0'.repeat(64),
    hash: 'a1'.repeat(32),
    ...overrides,
  };
}

export function makeOperator(overrides: Partial<User> = {}): User {
  return makeUser({
    id: '00000000-0000-4000-8000-0000000000f1',
    email: 'ops@charlotte.example',
    displayName: 'Platform operator',
    role: 'operator',
    ...overrides,
  });
}

export function makeGeneration(overrides: Partial<BackupGeneration> = {}): BackupGeneration {
  return {
    id: '30000000-0000-4000-8000-000000000001',
    tenant: TENANT.id,
    kind: 'daily',
    store: 'primary',
    // 02:00 JST on 2 Dec 2026.
    createdAt: '2026-12-01T17:00:00.000Z',
    completedAt: '2026-12-01T17:01:00.000Z',
    size: 5 * 1024 * 1024 + 300 * 1024,
    sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    keyVersion: 1,
    schemaVersion: '1764000000000',
    counts: { applications: 12, blobs: 3 },
    verifiedAt: null,
    verifyError: null,
    progressBytes: 0,
    error: null,
    state: 'complete',
    ...overrides,
  };
}

export function makeOperatorTenant(overrides: Partial<OperatorTenant> = {}): OperatorTenant {
  return {
    id: TENANT.id,
    code: TENANT.code,
    name: TENANT.name,
    kind: 'company',
    status: 'active',
    cancelledAt: null,
    deletionDueAt: null,
    deletedAt: null,
    reinstatedAt: null,
    lastBackupAt: '2026-12-01T17:05:00.000Z',
    certificateId: null,
    ...overrides,
  };
}

export function makeIncident(overrides: Partial<OperatorIncident> = {}): OperatorIncident {
  return {
    id: '50000000-0000-4000-8000-000000000001',
    severity: 'serious',
    title: '電子申請の送信が遅延しています',
    body: 'e-Gov への送信が遅れています。',
    status: 'open',
    startedAt: '2026-12-03T00:30:00.000Z',
    resolvedAt: null,
    updatedAt: '2026-12-03T00:30:00.000Z',
    updates: [],
    allTenants: true,
    tenants: [],
    createdBy: '00000000-0000-4000-8000-0000000000f1',
    alertId: null,
    createdAt: '2026-12-03T00:31:00.000Z',
    ...overrides,
  };
}
