/**
 * Acceptance of issue 16: a client written by someone else against the real
 * e-Gov API v2 works against our simulator without changes.
 *
 * `ThirdPartyClient` below is written from the public TypeScript SDK
 * `ippoan/egov-shinsei-sdk` (src/client.ts, src/auth/oauth.ts, read on
 * 2026-12-03): the same URLs, methods, headers and bodies, and like the SDK it
 * reads answers as plain JSON without knowing anything of ours. It is not
 * npm-installable (not published), so its request facts are restated here;
 * none of Charlotte's client code and none of the simulator's helpers for
 * calling the API are used. The packages come from the simulator's own
 * independent builder (`validPackage`, `withdrawalPackage`), and the browser
 * part of the login (the user typing at e-Gov) from `authorize`.
 *
 * Known difference, kept on purpose: the SDK's `introspectToken` posts to
 * `{auth}/token`, which the specification does not define for introspection
 * (`{auth}/token/introspect`); this test calls the specified path.
 */
import { startEgovSim, type EgovSim } from '../../apps/egov-sim/src/server';
import { authorize, manualClock, validPackage, withdrawalPackage } from '../../apps/egov-sim/src/testing';
import { validateAgainstSpec } from '../../apps/egov-sim/src/spec';

class ThirdPartyApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: Record<string, unknown>,
  ) {
    super(`e-Gov answered ${statusCode}`);
  }
}

class ThirdPartyClient {
  private accessToken: string | null = null;
  constructor(private readonly c: { apiBase: string; authBase: string; clientId: string; clientSecret: string }) {}

  setAccessToken(t: string): void {
    this.accessToken = t;
  }

  private basic(): string {
    return `Basic ${btoa(`${this.c.clientId}:${this.c.clientSecret}`)}`;
  }

  private async form<T>(path: string, body: Record<string, string>): Promise<T> {
    const res = await fetch(`${this.c.authBase}${path}`, {
      method: 'POST',
      headers: { Authorization: this.basic(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
    if (!res.ok) throw new ThirdPartyApiError(res.status, (await res.json().catch(() => ({}))) as Record<string, unknown>);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  private async request<T>(method: string, path: string, o: { body?: unknown; params?: Record<string, string> } = {}): Promise<T> {
    let url = `${this.c.apiBase}${path}`;
    if (o.params) url += `?${new URLSearchParams(o.params).toString()}`;
    const headers: Record<string, string> = {};
    if (this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    const res = await fetch(url, { method, headers, body });
    if (!res.ok) throw new ThirdPartyApiError(res.status, (await res.json().catch(() => ({}))) as Record<string, unknown>);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  exchangeCode(code: string, redirectUri: string, verifier: string) {
    return this.form<Record<string, unknown>>('/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
  }
  refreshToken(refreshToken: string) {
    return this.form<Record<string, unknown>>('/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
  }
  introspect(token: string) {
    return this.form<Record<string, unknown>>('/token/introspect', { token, token_type_hint: 'access_token' });
  }
  logout(refreshToken: string) {
    return this.form<void>('/logout', { refresh_token: refreshToken });
  }
  getProcedure(procId: string) {
    return this.request<Body>('GET', `/procedure/${procId}`);
  }
  submitApplication(req: { proc_id: string; send_file: { file_name: string; file_data: string } }) {
    return this.request<Body>('POST', '/apply', { body: req });
  }
  checkFormat(req: { proc_id: string; send_file: { file_name: string; file_data: string } }) {
    return this.request<Body>('POST', '/apply/check', { body: req });
  }
  withdrawApplication(req: { arrive_id: string; send_file: { file_name: string; file_data: string } }) {
    return this.request<Body>('POST', '/apply/withdraw', { body: req });
  }
  listApplications(p: { date_from: string; date_to: string; limit: number; offset: number }) {
    return this.request<Body>('GET', '/apply/lists', {
      params: { date_from: p.date_from, date_to: p.date_to, limit: String(p.limit), offset: String(p.offset) },
    });
  }
  getApplication(arriveId: string) {
    return this.request<Body>('GET', `/apply/${arriveId}`);
  }
  getNotice(arriveId: string, noticeSubId: string) {
    return this.request<Body>('GET', `/notice/${arriveId}/${noticeSubId}`);
  }
  getOfficialDocument(arriveId: string, noticeSubId: string) {
    return this.request<Body>('GET', `/official_document/${arriveId}/${noticeSubId}`);
  }
  completeOfficialDocument(req: { arrive_id: string; notice_sub_id: number }) {
    return this.request<Body>('POST', '/official_document', { body: req });
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- like the SDK's callers, the test reads untyped JSON
type Body = { metadata: Record<string, unknown>; results: Record<string, any>; [k: string]: unknown };

const CLIENT = { clientId: 'third-party-sw', clientSecret: 'third-party-key' };
const SHUTOKU = '4950013521019000';

describe('a third-party e-Gov API v2 client (written from ippoan/egov-shinsei-sdk) against the simulator', () => {
  let sim: EgovSim;
  const clock = manualClock(Date.parse('2026-12-01T01:00:00Z'));

  beforeAll(async () => {
    sim = await startEgovSim({ ...CLIENT, clock: { arriveToReviewMs: 1000, reviewToFinishMs: 1000 }, now: clock.now });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('logs in, applies, inquires, reads the notice, fetches and completes the 公文書, withdraws another, logs out', async () => {
    const client = new ThirdPartyClient({ apiBase: sim.url, authBase: sim.authUrl, ...CLIENT });

    // The user logs in at e-Gov (browser part); the integrator exchanges the code like the SDK.
    const a = await authorize(sim, { clientId: CLIENT.clientId, accountId: 'office-third-party' });
    const tokens = await client.exchangeCode(a.code, a.redirectUri, a.verifier);
    expect(typeof tokens.access_token).toBe('string');
    expect(typeof tokens.refresh_token).toBe('string');
    client.setAccessToken(tokens.access_token as string);
    const intro = await client.introspect(tokens.access_token as string);
    expect(intro.active).toBe(true);

    const skeleton = await client.getProcedure(SHUTOKU);
    expect(skeleton.results).toBeDefined();
    expect(validateAgainstSpec('procedure_response', skeleton).errors).toEqual([]);

    const pkg = await validPackage(SHUTOKU);
    const check = await client.checkFormat({ proc_id: SHUTOKU, send_file: pkg });
    expect(check.results.error_count).toBe(0);

    const applied = await client.submitApplication({ proc_id: SHUTOKU, send_file: pkg });
    const arriveId = applied.results.arrive_id as string;
    expect(arriveId).toMatch(/^\d{16,18}$/);
    expect(applied.results.arrive_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    const list = await client.listApplications({ date_from: '2026-12-01', date_to: '2026-12-01', limit: 50, offset: 0 });
    expect((list.results.apply_list as Array<{ arrive_id: string }>).map((c) => c.arrive_id)).toContain(arriveId);

    clock.advance(2500);
    const finished = await client.getApplication(arriveId);
    expect(finished.results.status).toBe('審査終了');
    const notice = (finished.results.notice_list as Array<{ notice_sub_id: number }>)[0];
    expect(Number.isInteger(notice.notice_sub_id)).toBe(true);
    const n = await client.getNotice(arriveId, String(notice.notice_sub_id));
    expect(typeof n.results.notice.notice_title).toBe('string');

    const doc = (finished.results.official_list as Array<{ notice_sub_id: number }>)[0];
    const got = await client.getOfficialDocument(arriveId, String(doc.notice_sub_id));
    expect(
      Buffer.from(got.results.file_data as string, 'base64')
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');
    await client.completeOfficialDocument({ arrive_id: arriveId, notice_sub_id: doc.notice_sub_id });
    expect((await client.getApplication(arriveId)).results.status).toBe('手続終了');

    // A second filing, withdrawn while it waits.
    const second = await client.submitApplication({ proc_id: SHUTOKU, send_file: await validPackage(SHUTOKU) });
    const secondId = second.results.arrive_id as string;
    const w = await client.withdrawApplication({ arrive_id: secondId, send_file: await withdrawalPackage(secondId, { now: clock.now() }) });
    expect(w.results.arrive_id).toBe(secondId);
    const after = await client.getApplication(secondId);
    expect(after.results.withdraw_flag).toBeDefined();
    expect(after.results.status).toBe('取下げ');

    // Errors reach it in the spec's shapes: 404 without a body, 400 with title/detail.
    await expect(client.getApplication('99999999999999999')).rejects.toMatchObject({ statusCode: 404 });
    await expect(client.submitApplication({ proc_id: 'short', send_file: pkg })).rejects.toMatchObject({
      statusCode: 400,
      body: expect.objectContaining({ title: expect.any(String) }),
    });

    const refreshed = await client.refreshToken(tokens.refresh_token as string);
    await client.logout(refreshed.refresh_token as string);
    await expect(client.refreshToken(refreshed.refresh_token as string)).rejects.toMatchObject({ statusCode: 400 });
  });
});
