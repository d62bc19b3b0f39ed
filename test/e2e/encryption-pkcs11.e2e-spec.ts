import { createPublicKey, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditService } from '@charlotte/audit';
import {
  KeyIntegrityError,
  KeyUnavailableError,
  LocalKeyProvider,
  Pkcs11KeyProvider,
  SigningKeyService,
  TenantKeysService,
} from '@charlotte/crypto';
import { createSoftHsmToken, SoftHsmToken } from '../../libs/crypto/src/keys/softhsm-test-token';
import { login, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/**
 * The application on KEY_PROVIDER=pkcs11 against a fresh SoftHSM token (Debian
 * softhsm2, installed by scripts/setup-system.sh): the KEK and the audit
 * signing key live in the token; tenant keys in the database are useless
 * without it.
 */
describe('Envelope encryption on a PKCS#11 HSM (SoftHSM)', () => {
  let token: SoftHsmToken;
  let other: SoftHsmToken;
  let t: TestApp;
  let a: Seeded;

  beforeAll(async () => {
    token = createSoftHsmToken({ label: 'charlotte-e2e' });
    other = createSoftHsmToken({ dir: token.dir, label: 'another-hsm' });
    token.activate(); // SoftHSM reads its configuration once, at the first C_Initialize
    t = await startTestApp({
      KEY_PROVIDER: 'pkcs11',
      PKCS11_LIBRARY: token.env.PKCS11_LIBRARY,
      PKCS11_TOKEN_LABEL: token.env.PKCS11_TOKEN_LABEL,
      PKCS11_PIN: token.env.PKCS11_PIN,
    });
    a = await seedTenant(t, 'hsm-a');
  });
  afterAll(async () => {
    await t?.close();
    token?.cleanup();
  });

  it('starts, seals and opens: names are stored sealed and read back through the API', async () => {
    const admin = await login(t, 'hsm-a', a.adminEmail);
    const created = await admin.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', admin.csrf)
      .send({ email: 'hsm-user@hsm-a.example', displayName: 'HSM 利用者', role: 'member' })
      .expect(201);
    const id = created.body.user?.id ?? created.body.id;
    const row = await t.ds.query(`SELECT display_name, display_name_sealed FROM users WHERE id = $1`, [id]);
    expect(row[0].display_name).toBeNull();
    const list = await admin.agent.get('/api/v1/users').expect(200);
    expect(list.body.items.map((u: { displayName: string }) => u.displayName)).toContain('HSM 利用者');
    expect(await t.ds.query(`SELECT DISTINCT provider FROM tenant_keys`)).toEqual([{ provider: 'pkcs11' }]);
  });

  it('keeps wrapped tenant keys useless without this HSM', async () => {
    const [row] = await t.ds.query(`SELECT tenant_id, version, kek_version, wrapped FROM tenant_keys WHERE tenant_id = $1`, [a.tenantId]);
    const aad = Buffer.from(`charlotte-dek-v1|${row.tenant_id}|${row.version}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-local-'));
    const local = new LocalKeyProvider({ dataDir: dir });
    await local.init();
    await expect(local.unwrap({ kekVersion: row.kek_version, wrapped: row.wrapped }, aad)).rejects.toBeInstanceOf(KeyIntegrityError);
    await local.close();
    fs.rmSync(dir, { recursive: true, force: true });
    const elsewhere = new Pkcs11KeyProvider({
      libraryPath: other.env.PKCS11_LIBRARY,
      tokenLabel: other.env.PKCS11_TOKEN_LABEL,
      pin: other.env.PKCS11_PIN,
    });
    await elsewhere.init();
    try {
      const err = await elsewhere.unwrap({ kekVersion: row.kek_version, wrapped: row.wrapped }, aad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err instanceof KeyIntegrityError || err instanceof KeyUnavailableError).toBe(true);
    } finally {
      await elsewhere.close();
    }
  });

  it('signs audit checkpoints with the Ed25519 key inside the HSM (no signing key file)', async () => {
    const signing = t.app.get(SigningKeyService);
    expect(signing.location).toBe('pkcs11');
    expect(fs.existsSync(path.join(t.config.dataDir, 'keys', 'signing-ed25519.pem'))).toBe(false);
    const sig = await signing.sign('hello');
    const jwk = signing.publicJwk();
    expect(
      verify(
        null,
        Buffer.from('hello'),
        createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }),
        Buffer.from(sig, 'base64url'),
      ),
    ).toBe(true);
    const audit = t.app.get(AuditService);
    expect(await audit.checkpointAll()).toBeGreaterThan(0);
    const v = await audit.verify(a.tenantId);
    expect(v).toMatchObject({ ok: true, checkpoints: { invalid: 0 } });
    expect(v.checkpoints.checked).toBeGreaterThan(0);
  });

  it('rotates the KEK inside the HSM; every tenant key is re-wrapped and still opens', async () => {
    const keys = t.app.get(TenantKeysService);
    const out = await keys.rotateKek();
    expect(out.kekVersion).toBe(2);
    expect(await t.ds.query(`SELECT DISTINCT kek_version FROM tenant_keys`)).toEqual([{ kek_version: 2 }]);
    keys.clearCache();
    const admin = await login(t, 'hsm-a', a.adminEmail);
    const list = await admin.agent.get('/api/v1/users').expect(200);
    expect(list.body.items.map((u: { displayName: string }) => u.displayName)).toContain('HSM 利用者');
  });
});
