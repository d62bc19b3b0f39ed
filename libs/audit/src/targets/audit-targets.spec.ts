import type { ApiScope, Caller } from '@charlotte/core';
import { AuditTargetRegistry } from './audit-targets';

const T = '11111111-1111-4111-8111-111111111111';
const A1 = 'aaaaaaaa-0000-4000-8000-000000000001';
const A2 = 'aaaaaaaa-0000-4000-8000-000000000002';
const GONE = 'aaaaaaaa-0000-4000-8000-00000000dead';
const admin: Caller = { kind: 'session', userId: 'u', tenantId: T, role: 'admin', sessionId: 's', csrfToken: 'c' };
const token = (scopes: ApiScope[]): Caller => ({
  kind: 'token',
  tokenId: 't',
  tenantId: T,
  scopes,
});

describe(AuditTargetRegistry.name, () => {
  function setup() {
    const sut = new AuditTargetRegistry();
    const calls: Array<{ tenantId: string; ids: readonly string[] }> = [];
    sut.register({
      type: 'application',
      tokenScope: 'applications:read',
      resolve: async (tenantId, ids) => {
        calls.push({ tenantId, ids });
        return new Map(ids.filter((i) => i !== GONE).map((i) => [i, { label: `title ${i.slice(-1)}` }]));
      },
    });
    return { sut, calls };
  }

  it('looks up each type once per batch, for the viewer’s tenant, and marks missing records deleted', async () => {
    const { sut, calls } = setup();
    const refs = [
      { type: 'application', id: A1 },
      { type: 'application', id: A2 },
      { type: 'application', id: A1 },
      { type: 'application', id: GONE },
      { type: 'session', id: A1 },
      { type: 'audit_chain', id: T },
    ];
    const nameOf = await sut.resolve(T, admin, refs);
    expect(calls).toEqual([{ tenantId: T, ids: [A1, A2, GONE] }]);
    expect(nameOf('application', A1)).toEqual({ label: 'title 1', deleted: false });
    expect(nameOf('application', GONE)).toEqual({ label: null, deleted: true });
    // no resolver for the type: nothing is claimed about it
    expect(nameOf('session', A1)).toEqual({ label: null, deleted: false });
  });

  it('skips ids that are not UUIDs (they cannot name a record) and refuses a type registered twice', async () => {
    const { sut, calls } = setup();
    const nameOf = await sut.resolve(T, admin, [{ type: 'application', id: 'not-a-uuid' }]);
    expect(calls).toEqual([]);
    expect(nameOf('application', 'not-a-uuid')).toEqual({ label: null, deleted: false });
    expect(() => sut.register({ type: 'application', tokenScope: null, resolve: async () => new Map() })).toThrow(/twice/);
  });

  it('names nothing for an API token without the type’s scope', async () => {
    const { sut, calls } = setup();
    const nameOf = await sut.resolve(T, token(['audit:read']), [{ type: 'application', id: A1 }]);
    expect(calls).toEqual([]);
    expect(nameOf('application', A1)).toEqual({ label: null, deleted: false });
    const withScope = await sut.resolve(T, token(['audit:read', 'applications:read']), [{ type: 'application', id: A1 }]);
    expect(withScope('application', A1).label).toBe('title 1');
  });
});
