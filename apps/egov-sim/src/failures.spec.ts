import { connect } from 'node:net';
import { parseFailurePlan, rulePathMatches } from './failures';
import { optionsFromEnv } from './main';
import { startEgovSim, type EgovSim } from './server';
import { assertSpec } from './spec';
import { basicAuth, callApi, login, tokenRequest, validPackage } from './testing';
import type { RequestLogEntry } from './types';

const CLIENT = { clientId: 'sw-0003', clientSecret: 'api-key-0003' };
const PROC = '4950013521019000';
const LIST = '/apply/lists?date_from=2020-01-01&date_to=2099-12-31';

describe('egov-sim failure injection', () => {
  const logs: RequestLogEntry[] = [];
  let sut: EgovSim;
  let token: string;

  beforeAll(async () => {
    sut = await startEgovSim({ ...CLIENT, admin: true, log: (e) => logs.push(e) });
    token = (await login(sut, { ...CLIENT, accountId: 'office-a' })).access_token;
  });
  afterEach(() => sut.state.setFailurePlan([]));
  afterAll(() => sut.close());

  const apply = async (signal?: AbortSignal) =>
    fetch(`${sut.url}/apply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ proc_id: PROC, send_file: await validPackage(PROC) }),
      signal,
    });
  const total = async () => (await callApi<{ resultset: { all_count: number } }>(sut, token, 'GET', LIST)).body.resultset.all_count;

  it.each([
    ['500', 500, 'Internal Server Error'],
    ['503', 503, 'Service Unavailable'],
  ] as const)(
    'answers %s {title, detail, type, instance} to the next n matching requests without processing them',
    async (kind, status, title) => {
      sut.state.setFailurePlan([{ path: '/apply', times: 2, kind }]);
      const before = await total();
      for (let i = 0; i < 2; i++) {
        const res = await apply();
        expect(res.status).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        const body = await res.json();
        assertSpec('error', body);
        expect(body).toMatchObject({ title, instance: '/shinsei/v2/apply' });
      }
      expect(await total()).toBe(before);
      const third = await apply();
      expect(third.status).toBe(200);
      expect(await total()).toBe(before + 1);
    },
  );

  it('answers 429 with Retry-After: 1', async () => {
    sut.state.setFailurePlan([{ path: '/apply/lists', times: 1, kind: '429' }]);
    const res = await fetch(`${sut.url}${LIST}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    assertSpec('error', await res.json());
    expect((await callApi(sut, token, 'GET', LIST)).status).toBe(200);
  });

  it('answers 200 with invalid JSON for malformed', async () => {
    sut.state.setFailurePlan([{ path: '/apply', times: 1, kind: 'malformed' }]);
    const before = await total();
    const res = await apply();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(await total()).toBe(before);
  });

  it('never answers on timeout until the client gives up, and keeps serving others', async () => {
    sut.state.setFailurePlan([{ path: '/apply', times: 1, kind: 'timeout' }]);
    const before = await total();
    const controller = new AbortController();
    const started = Date.now();
    const pending = apply(controller.signal);
    // Other requests are served meanwhile.
    expect(await total()).toBe(before);
    setTimeout(() => controller.abort(), 300);
    await expect(pending).rejects.toThrow(/abort/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await total()).toBe(before);
    expect((await apply()).status).toBe(200);
  });

  it('processes the request then never answers for timeout-after-commit', async () => {
    sut.state.setFailurePlan([{ path: '/apply', times: 1, kind: 'timeout-after-commit' }]);
    const before = await total();
    const controller = new AbortController();
    const pending = apply(controller.signal);
    setTimeout(() => controller.abort(), 300);
    await expect(pending).rejects.toThrow(/abort/i);
    expect(await total()).toBe(before + 1);
  });

  it('matches {name} segments and an optional method', async () => {
    sut.state.setFailurePlan([
      { path: '/apply/{arrive_id}', method: 'GET', times: 1, kind: '503' },
      { path: '/apply', method: 'GET', times: 1, kind: '500' }, // no GET /apply route: never matches a POST
    ]);
    const id = ((await (await apply()).json()) as { results: { arrive_id: string } }).results.arrive_id;
    expect((await callApi(sut, token, 'GET', `/apply/${id}`)).status).toBe(503);
    expect((await callApi(sut, token, 'GET', `/apply/${id}`)).status).toBe(200);
    expect(sut.state.failures.pending()).toEqual([{ path: '/apply', method: 'GET', times: 1, kind: '500' }]);
  });

  it('injects into the token endpoint too', async () => {
    sut.state.setFailurePlan([{ path: '/auth/token', times: 1, kind: '503' }]);
    const res = await tokenRequest(sut, basicAuth(CLIENT.clientId, CLIENT.clientSecret), {
      grant_type: 'refresh_token',
      refresh_token: 'x',
    });
    expect(res.status).toBe(503);
    const next = await tokenRequest(sut, basicAuth(CLIENT.clientId, CLIENT.clientSecret), {
      grant_type: 'refresh_token',
      refresh_token: 'x',
    });
    expect(next.status).toBe(400);
  });

  it('changes the plan at run time through POST /__sim/failures and shows state on GET /__sim/state', async () => {
    const set = await fetch(`${sut.url.replace('/shinsei/v2', '')}/__sim/failures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { path: '/shinsei/v2/apply', times: 1, kind: '500' },
        { correctionFor: 'next', correctType: '再提出' },
      ]),
    });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({
      failures: [{ path: '/apply', times: 1, kind: '500' }],
      corrections: { next: ['再提出'], arrive_ids: {} },
    });
    expect((await apply()).status).toBe(500);
    expect((await apply()).status).toBe(200);

    const bad = await fetch(`${sut.url.replace('/shinsei/v2', '')}/__sim/failures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ path: '/apply', times: 1, kind: '418' }]),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ detail: expect.stringContaining('kind') });

    const state = await fetch(`${sut.url.replace('/shinsei/v2', '')}/__sim/state`);
    const body = (await state.json()) as { cases: Array<{ pendingCorrection?: string }>; tokens: { access: number } };
    expect(state.status).toBe(200);
    expect(body.cases.length).toBeGreaterThan(0);
    expect(body.cases[body.cases.length - 1].pendingCorrection).toBe('再提出');
    expect(body.tokens.access).toBeGreaterThan(0);
    const text = JSON.stringify(body);
    expect(text).not.toContain(token);
    // no personal data from the packages in this unauthenticated view
    expect(text).not.toContain('山田');
    expect(text).not.toContain('花子');
  });

  it('logs one line per request without query string and with the injected kind', async () => {
    sut.state.setFailurePlan([{ path: '/apply/lists', times: 1, kind: '503' }]);
    logs.length = 0;
    await fetch(`${sut.url}${LIST}`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((r) => setTimeout(r, 20));
    expect(logs).toEqual([
      {
        time: expect.any(String),
        method: 'GET',
        path: '/shinsei/v2/apply/lists',
        status: 503,
        duration_ms: expect.any(Number),
        injected: '503',
      },
    ]);
  });
});

describe('egov-sim without admin', () => {
  let sut: EgovSim;
  beforeAll(async () => {
    sut = await startEgovSim({ ...CLIENT, failures: [{ path: '/auth/token/introspect', times: 1, kind: '429' }] });
  });
  afterAll(() => sut.close());

  it('has no /__sim endpoints', async () => {
    const base = sut.url.replace('/shinsei/v2', '');
    expect((await fetch(`${base}/__sim/state`)).status).toBe(404);
    const res = await fetch(`${base}/__sim/failures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect(res.status).toBe(404);
  });

  it('applies the plan given in the options', async () => {
    const res = await fetch(`${sut.authUrl}/token/introspect`, { method: 'POST' });
    expect(res.status).toBe(429);
  });

  it('survives a client that disconnects in the middle of its body', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const { port } = new URL(sut.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST /shinsei/v2/apply HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"proc_id":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
      socket.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`${sut.url.replace('/shinsei/v2', '')}/`)).status).toBe(200);
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });

  it('closes even with a request left hanging', async () => {
    const other = await startEgovSim({ ...CLIENT, failures: [{ path: '/apply/lists', times: 1, kind: 'timeout' }] });
    const pending = fetch(`${other.url}${LIST}`).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 50));
    await other.close();
    expect(await pending).toBe('failed');
  });
});

describe('failure plan parsing', () => {
  it.each([
    ['not an array', { path: '/apply' }],
    ['an unknown kind', [{ path: '/apply', times: 1, kind: '418' }]],
    ['times 0', [{ path: '/apply', times: 0, kind: '500' }]],
    ['a path without /', [{ path: 'apply', times: 1, kind: '500' }]],
    ['an unknown field (typo)', [{ path: '/apply', time: 1, kind: '500' }]],
    ['a bad correction target', [{ correctionFor: 'first' }]],
    ['a bad correction type', [{ correctionFor: 'next', correctType: '全部補正' }]],
  ])('refuses %s', (_label, plan) => {
    expect(() => parseFailurePlan(plan)).toThrow();
  });

  it('normalises /shinsei/v2 prefixes and methods, and defaults correctType to 部分補正', () => {
    expect(parseFailurePlan([{ correctionFor: '20261203000000001' }])).toEqual([
      { correctionFor: '20261203000000001', correctType: '部分補正' },
    ]);
    expect(parseFailurePlan([{ path: '/shinsei/v2/apply/', method: 'post', times: 1, kind: '500' }])).toEqual([
      { path: '/apply', method: 'POST', times: 1, kind: '500' },
    ]);
  });

  it('matches template segments one for one', () => {
    expect(rulePathMatches('/notice/{arrive_id}/{notice_sub_id}', '/notice/2026112600000001/3')).toBe(true);
    expect(rulePathMatches('/apply/{arrive_id}', '/apply')).toBe(false);
    expect(rulePathMatches('/apply', '/apply/lists')).toBe(false);
  });

  it('makes startEgovSim refuse a bad plan', async () => {
    await expect(startEgovSim({ ...CLIENT, failures: [{ path: '/apply', times: 1, kind: 'boom' as '500' }] })).rejects.toThrow(/kind/);
  });

  it('names the bad variable in CLI configuration errors', () => {
    expect(() => optionsFromEnv({ EGOV_SIM_FAILURES: '{' })).toThrow(/EGOV_SIM_FAILURES/);
    expect(() => optionsFromEnv({ EGOV_SIM_PORT: 'abc' })).toThrow(/EGOV_SIM_PORT/);
    expect(() => optionsFromEnv({ EGOV_SIM_REQUIRE_SIGNATURE: 'yes' })).toThrow(/EGOV_SIM_REQUIRE_SIGNATURE/);
    expect(optionsFromEnv({ EGOV_SIM_REQUIRE_SIGNATURE: '1' }).requireSignature).toBe(true);
    expect(optionsFromEnv({ EGOV_SIM_FAILURES: '[{"correctionFor":"next"}]' })).toMatchObject({
      port: 3100,
      host: '127.0.0.1',
      failures: [{ correctionFor: 'next', correctType: '部分補正' }],
      admin: true,
    });
  });
});
