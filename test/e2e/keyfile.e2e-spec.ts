import { createDecipheriv, createPrivateKey, pbkdf2Sync, sign } from 'node:crypto';
import request from 'supertest';
import { giveKey, login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { newTestKey, signChallenge } from '../support/keys';

/** Charlotteキー over HTTP, with keys and signatures made by node:crypto, not the server's code. */
describe('Key-file second factor (/api/v1/auth/keyfile)', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '10' });
    a = await seedTenant(t, 'key-a');
    b = await seedTenant(t, 'key-b');
    adminA = await login(t, 'key-a', a.adminEmail);
  });
  afterAll(() => t.close());

  /** Password step; returns the pending cookie and the challenge. */
  const passwordStep = async (tenant: string, email: string, password = PASSWORD) => {
    const res = await request(t.http).post('/api/v1/auth/login').send({ tenant, email, password }).expect(200);
    return {
      cookie: ([] as string[]).concat(res.headers['set-cookie'])[0].split(';')[0],
      challenge: res.body.challenge as string,
      step: res.body.step as string,
    };
  };
  const keyStep = (cookie: string, keyId: string, signature: string) =>
    request(t.http).post('/api/v1/auth/keyfile').set('Cookie', cookie).send({ keyId, signature });
  const liveSessions = async (userId: string) =>
    (await t.ds.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND stage = 'full' AND revoked_at IS NULL`, [userId]))[0]
      .n as number;

  it('gives no session for the right password alone', async () => {
    const before = await liveSessions(a.memberId);
    const p = await passwordStep('key-a', a.memberEmail);
    expect(p.step).toBe('keyfile');
    await request(t.http).get('/api/v1/auth/session').set('Cookie', p.cookie).expect(401);
    expect(await liveSessions(a.memberId)).toBe(before);
  });

  it("refuses another user's key file, a key of another tenant, and a forged signature", async () => {
    const memberKey = testKeys.get(`key-a/${a.memberEmail}`)!;
    const otherUser = testKeys.get(`key-a/${a.adminEmail}`)!;
    const otherTenant = testKeys.get(`key-b/${b.memberEmail}`)!;
    for (const [keyId, priv] of [
      [otherUser.keyId, otherUser.privateKey],
      [otherTenant.keyId, otherTenant.privateKey],
      [memberKey.keyId, newTestKey().privateKey], // right key id, signed by another key
    ] as const) {
      const p = await passwordStep('key-a', a.memberEmail);
      const res = await keyStep(p.cookie, keyId, signChallenge(priv, p.challenge)).expect(401);
      expect(res.body.code).toBe('keyfile_invalid');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    await t.ds.query('UPDATE users SET failed_login_count = 0, failed_window_start = NULL WHERE id = $1', [a.memberId]);
  });

  it('refuses a replayed signature and a used or expired challenge', async () => {
    const key = testKeys.get(`key-a/${a.memberEmail}`)!;
    const p1 = await passwordStep('key-a', a.memberEmail);
    const sig1 = signChallenge(key.privateKey, p1.challenge);
    await keyStep(p1.cookie, key.keyId, sig1).expect(200);
    // same pending session again: the challenge was consumed
    expect((await keyStep(p1.cookie, key.keyId, sig1).expect(401)).body.code).toBe('challenge_expired');
    // a captured signature against a new challenge
    const p2 = await passwordStep('key-a', a.memberEmail);
    expect((await keyStep(p2.cookie, key.keyId, sig1).expect(401)).body.code).toBe('keyfile_invalid');
    // an expired challenge
    const p3 = await passwordStep('key-a', a.memberEmail);
    await t.ds.query(
      `UPDATE sessions SET challenge_expires_at = now() - interval '1 second' WHERE stage = 'pending' AND challenge IS NOT NULL AND user_id = $1`,
      [a.memberId],
    );
    expect((await keyStep(p3.cookie, key.keyId, signChallenge(key.privateKey, p3.challenge)).expect(401)).body.code).toBe(
      'challenge_expired',
    );
    await t.ds.query('UPDATE users SET failed_login_count = 0, failed_window_start = NULL WHERE id = $1', [a.memberId]);
  });

  it('counts failed signatures towards the lockout', async () => {
    const u = await seedTenant(t, 'key-lock');
    const key = testKeys.get(`key-lock/${u.memberEmail}`)!;
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const p = await passwordStep('key-lock', u.memberEmail);
      statuses.push((await keyStep(p.cookie, key.keyId, signChallenge(newTestKey().privateKey, p.challenge))).status);
    }
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(401));
    expect(statuses[9]).toBe(423);
    const res = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ tenant: 'key-lock', email: u.memberEmail, password: PASSWORD })
      .expect(423);
    expect(res.body.code).toBe('account_locked');
  });

  it('accepts a server-issued key file signed by an independent ES256 implementation', async () => {
    const user = await adminA.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', adminA.csrf)
      .send({ email: 'issued@key-a.example', displayName: '発行 太郎', role: 'member', password: PASSWORD })
      .expect(201);
    const issued = await adminA.agent
      .post(`/api/v1/users/${user.body.id}/keyfiles`)
      .set('X-CSRF-Token', adminA.csrf)
      .send({ label: '事務所PC' })
      .expect(201);
    expect(issued.headers['content-disposition']).toMatch(/attachment; filename="key-a-issued@key-a.example.charlotte-key.json"/);
    const file = issued.body;
    expect(file).toMatchObject({
      type: 'charlotte-keyfile',
      version: 1,
      tenant: 'key-a',
      userId: user.body.id,
      email: 'issued@key-a.example',
    });
    // the server kept only the public key
    const stored: Array<{ j: string }> = await t.ds.query('SELECT public_jwk::text AS j FROM user_keys WHERE user_id = $1', [user.body.id]);
    expect(stored[0].j).not.toContain(file.privateKeyJwk.d);
    expect(JSON.parse(stored[0].j).d).toBeUndefined();
    const priv = createPrivateKey({ key: file.privateKeyJwk, format: 'jwk' });
    const p = await passwordStep('key-a', 'issued@key-a.example');
    const sig = sign('sha256', Buffer.from(`charlotte-login:v1:${p.challenge}`), { key: priv, dsaEncoding: 'ieee-p1363' }).toString(
      'base64url',
    );
    const res = await keyStep(p.cookie, file.keyId, sig).expect(200);
    expect(res.body.user.email).toBe('issued@key-a.example');
  });

  it('issues a passphrase-protected key file that opens with the passphrase only (PBKDF2 ≥ 600,000 → AES-256-GCM)', async () => {
    const issued = await adminA.agent
      .post(`/api/v1/users/${a.memberId}/keyfiles`)
      .set('X-CSRF-Token', adminA.csrf)
      .send({ label: '暗号化', passphrase: 'つよいパスフレーズ123' })
      .expect(201);
    const enc = issued.body.encryptedPrivateKey;
    expect(issued.body.privateKeyJwk).toBeUndefined();
    expect(enc).toMatchObject({ kdf: 'PBKDF2-SHA256', cipher: 'AES-256-GCM' });
    expect(enc.iterations).toBeGreaterThanOrEqual(600000);
    const open = (pass: string) => {
      const key = pbkdf2Sync(pass, Buffer.from(enc.salt, 'base64url'), enc.iterations, 32, 'sha256');
      const data = Buffer.from(enc.ciphertext, 'base64url');
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(enc.iv, 'base64url'));
      d.setAuthTag(data.subarray(data.length - 16));
      return JSON.parse(Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString('utf8'));
    };
    expect(() => open('wrong passphrase')).toThrow();
    const jwk = open('つよいパスフレーズ123');
    const p = await passwordStep('key-a', a.memberEmail);
    const sig = sign('sha256', Buffer.from(`charlotte-login:v1:${p.challenge}`), {
      key: createPrivateKey({ key: jwk, format: 'jwk' }),
      dsaEncoding: 'ieee-p1363',
    });
    await keyStep(p.cookie, issued.body.keyId, sig.toString('base64url')).expect(200);
  });

  it('refuses a revoked key at once and ends the sessions it opened', async () => {
    const u = await seedTenant(t, 'key-rev');
    const key = testKeys.get(`key-rev/${u.memberEmail}`)!;
    const s = await login(t, 'key-rev', u.memberEmail);
    const own = await s.agent.get('/api/v1/me/keyfiles').expect(200);
    expect(own.body.items).toEqual([expect.objectContaining({ keyId: key.keyId, revokedAt: null, lastUsedAt: expect.any(String) })]);
    const admin = await login(t, 'key-rev', u.adminEmail);
    await admin.agent.delete(`/api/v1/users/${u.memberId}/keyfiles/${key.keyId}`).set('X-CSRF-Token', admin.csrf).expect(204);
    await s.agent.get('/api/v1/auth/session').expect(401);
    // no key left and never reset: neither key step nor self-enrolment
    const r = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ tenant: 'key-rev', email: u.memberEmail, password: PASSWORD })
      .expect(403);
    expect(r.body.code).toBe('keyfile_required');
    // lost key: the admin resets the user to enrolment
    await admin.agent.post(`/api/v1/users/${u.memberId}/keyfile-reset`).set('X-CSRF-Token', admin.csrf).expect(200);
    const p = await passwordStep('key-rev', u.memberEmail);
    expect(p.step).toBe('enroll_keyfile');
  });

  it('lets a user revoke their own key, which ends that session', async () => {
    const u = await seedTenant(t, 'key-self');
    const s = await login(t, 'key-self', u.memberEmail);
    const key = testKeys.get(`key-self/${u.memberEmail}`)!;
    await s.agent.delete(`/api/v1/me/keyfiles/${key.keyId}`).set('X-CSRF-Token', s.csrf).expect(204);
    await s.agent.get('/api/v1/auth/session').expect(401);
  });

  describe('self-enrolment', () => {
    it('enrols an invited user on first login, once', async () => {
      const inv = await adminA.agent
        .post('/api/v1/users')
        .set('X-CSRF-Token', adminA.csrf)
        .send({ email: 'newbie@key-a.example', displayName: '新人', role: 'member' })
        .expect(201);
      const token = new URL(inv.body.invitation.url).pathname.split('/').pop();
      await request(t.http).post('/api/v1/auth/invitations/accept').send({ token, password: PASSWORD }).expect(200);
      const p = await passwordStep('key-a', 'newbie@key-a.example');
      expect(p.step).toBe('enroll_keyfile');
      const key = newTestKey();
      // a private JWK is refused, and so is a signature by another key
      await request(t.http)
        .post('/api/v1/auth/keyfile/enroll')
        .set('Cookie', p.cookie)
        .send({ publicKeyJwk: { ...key.publicJwk, d: 'x'.repeat(43) }, label: 'x', signature: signChallenge(key.privateKey, p.challenge) })
        .expect(400);
      const p2 = await passwordStep('key-a', 'newbie@key-a.example');
      await request(t.http)
        .post('/api/v1/auth/keyfile/enroll')
        .set('Cookie', p2.cookie)
        .send({ publicKeyJwk: key.publicJwk, label: 'x', signature: signChallenge(newTestKey().privateKey, p2.challenge) })
        .expect(401);
      const p3 = await passwordStep('key-a', 'newbie@key-a.example');
      const ok = await request(t.http)
        .post('/api/v1/auth/keyfile/enroll')
        .set('Cookie', p3.cookie)
        .send({ publicKeyJwk: key.publicJwk, label: 'ブラウザ', signature: signChallenge(key.privateKey, p3.challenge) })
        .expect(200);
      expect(ok.body).toMatchObject({ step: 'done', keyId: key.keyId, user: { email: 'newbie@key-a.example' } });
      // from now on the key is required
      const p4 = await passwordStep('key-a', 'newbie@key-a.example');
      expect(p4.step).toBe('keyfile');
      await keyStep(p4.cookie, key.keyId, signChallenge(key.privateKey, p4.challenge)).expect(200);
    });
  });

  it('keeps key management inside the tenant and the role', async () => {
    const member = await login(t, 'key-a', a.memberEmail);
    await member.agent.get(`/api/v1/users/${a.adminId}/keyfiles`).expect(403);
    await member.agent.post(`/api/v1/users/${a.memberId}/keyfiles`).set('X-CSRF-Token', member.csrf).send({ label: 'x' }).expect(403);
    await adminA.agent.get(`/api/v1/users/${b.memberId}/keyfiles`).expect(404);
    await adminA.agent.post(`/api/v1/users/${b.memberId}/keyfiles`).set('X-CSRF-Token', adminA.csrf).send({ label: 'x' }).expect(404);
    const bKey = testKeys.get(`key-b/${b.memberEmail}`)!;
    await adminA.agent.delete(`/api/v1/users/${b.memberId}/keyfiles/${bKey.keyId}`).set('X-CSRF-Token', adminA.csrf).expect(404);
    await adminA.agent.post(`/api/v1/users/${b.memberId}/keyfile-reset`).set('X-CSRF-Token', adminA.csrf).expect(404);
    const rows = await t.ds.query('SELECT count(*)::int AS n FROM user_keys WHERE user_id = $1 AND revoked_at IS NULL', [b.memberId]);
    expect(rows[0].n).toBe(1);
  });

  it('audits issue, use, failure and revocation without key material', async () => {
    const rows: Array<{ action: string; j: string }> = await t.ds.query(
      `SELECT action, row_to_json(e)::text AS j FROM audit_events e WHERE chain_key = $1 AND (action LIKE 'keyfile.%' OR (action = 'auth.login' AND details->>'step' = 'keyfile'))`,
      [a.tenantId],
    );
    const actions = new Set(rows.map((r) => r.action));
    expect([...actions]).toEqual(expect.arrayContaining(['keyfile.issued', 'keyfile.enrolled', 'auth.login']));
    expect(rows.some((r) => r.j.includes('"reason": "bad_signature"') || r.j.includes('"reason":"bad_signature"'))).toBe(true);
    const k = testKeys.get(`key-a/${a.memberEmail}`)!.publicJwk;
    for (const r of rows) expect(r.j).not.toContain(k.x);
  });

  it('lets platform operators use their own key', async () => {
    const { UsersService } = await import('@charlotte/auth');
    const { user } = await t.app.get(UsersService).createOperator('ops@example.jp', PASSWORD);
    await giveKey(t, 'platform', null, user.id, 'ops@example.jp');
    const op = await login(t, 'platform', 'ops@example.jp');
    const keys = await op.agent.get('/api/v1/me/keyfiles').expect(200);
    expect(keys.body.items).toHaveLength(1);
  });
});
