import { execFile, execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { SigningCredentialsService } from '@charlotte/filing';
import { verifyPackageSignature } from '../../libs/filing/src/package';
import { makeTestP12 } from '../../libs/filing/src/signing/test-pkcs12';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/** The smallest kousei.xml the signer accepts: 構成情報 (ID) naming one 申請書 file. */
const SIGNABLE_KOUSEI =
  '<?xml version="1.0" encoding="UTF-8"?><DataRoot><構成情報 ID="構成情報"><申請書属性情報>' +
  '<申請書ファイル名称>495013521019030837_01.xml</申請書ファイル名称></申請書属性情報></構成情報></DataRoot>';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const DAY = 24 * 3600_000;

/** A PIN no log, row or audit event may ever contain. */
const PIN = 'PinCanary-7Q2X-暗証';

/** Real PKCS#12 files made by openssl 3 (its defaults: AES-256-CBC, PBKDF2, HMAC-SHA256 MAC). */
function opensslP12(dir: string, name: string, keyArgs: string[], subject: string, pin = PIN): { p12: Buffer; cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const crt = path.join(dir, `${name}.crt`);
  const p12 = path.join(dir, `${name}.p12`);
  execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', key, '-out', crt, '-days', '400', '-subj', subject, '-utf8'], {
    stdio: 'pipe',
  });
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', crt, '-out', p12, '-passout', `pass:${pin}`], { stdio: 'pipe' });
  return { p12: fs.readFileSync(p12), cert: fs.readFileSync(crt, 'utf8'), key: fs.readFileSync(key, 'utf8') };
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * The tenant's e-signature certificate (POST/GET/DELETE /api/v1/signing-certificates) with real
 * PKCS#12 files, and the 提出代行証明書 of an office (PUT/GET/DELETE /api/v1/offices/{id}/proxy-certificate)
 * through a real clamd.
 */
describe('Signing certificates (/api/v1/signing-certificates, /offices/{id}/proxy-certificate)', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;
  let memberA: LoggedIn;
  let adminB: LoggedIn;
  let tmp: string;
  let rsa: ReturnType<typeof opensslP12>;
  let rsa2: ReturnType<typeof opensslP12>;
  let ec: ReturnType<typeof opensslP12>;

  beforeAll(async () => {
    let clamdSocket = process.env.CLAMD_SOCKET ?? '';
    if (!clamdSocket) {
      const out = await run('bash', [path.join(root, 'scripts/clamd-start.sh')], { timeout: 120_000 });
      clamdSocket = /CLAMD_SOCKET=(\S+)/.exec(out.stdout)?.[1] ?? '';
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-p12-'));
    rsa = opensslP12(tmp, 'rsa', ['-newkey', 'rsa:2048'], '/C=JP/O=テスト社会保険労務士法人/CN=山田 太郎');
    rsa2 = opensslP12(tmp, 'rsa2', ['-newkey', 'rsa:3072'], '/C=JP/O=株式会社サンプル/CN=代表 花子');
    ec = opensslP12(tmp, 'ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=ec-key');
    t = await startTestApp({ CLAMD_SOCKET: clamdSocket });
    a = await seedTenant(t, 'sig-a');
    b = await seedTenant(t, 'sig-b');
    adminA = await login(t, 'sig-a', a.adminEmail);
    memberA = await login(t, 'sig-a', a.memberEmail);
    adminB = await login(t, 'sig-b', b.adminEmail);
  });
  afterAll(async () => {
    await t?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const upload = (u: LoggedIn, p12: Buffer, pin: string | null = PIN, fileName = 'company.p12') => {
    const r = u.agent.post('/api/v1/signing-certificates').set('X-CSRF-Token', u.csrf);
    if (pin !== null) r.field('pin', pin);
    return r.attach('file', p12, { filename: fileName, contentType: 'application/x-pkcs12' });
  };
  const rows = (tenantId: string) =>
    t.ds.query(
      `SELECT id, status, subject_cn, private_key_sealed, certificate_pem FROM signing_certificates WHERE tenant_id = $1 ORDER BY created_at`,
      [tenantId],
    );

  describe('refusals (nothing stored, problem+json with a code)', () => {
    const cases: Array<[string, () => Buffer, string | null, number, string]> = [
      ['a wrong PIN', () => rsa.p12, 'not-the-pin', 422, 'signing_certificate_bad_pin'],
      ['an EC key', () => ec.p12, PIN, 422, 'signing_certificate_key_unsupported'],
      ['an RSA key of 1024 bits', () => makeTestP12({ pin: PIN, bits: 1024 }).p12, PIN, 422, 'signing_certificate_key_unsupported'],
      [
        'an expired certificate',
        () => makeTestP12({ pin: PIN, notBefore: new Date(Date.now() - 800 * DAY), notAfter: new Date(Date.now() - 2 * DAY) }).p12,
        PIN,
        422,
        'signing_certificate_expired',
      ],
      [
        'a certificate not valid yet',
        () => makeTestP12({ pin: PIN, notBefore: new Date(Date.now() + 2 * DAY), notAfter: new Date(Date.now() + 90 * DAY) }).p12,
        PIN,
        422,
        'signing_certificate_expired',
      ],
      [
        'a key that is not the certificate’s',
        () => makeTestP12({ pin: PIN, foreignKey: true }).p12,
        PIN,
        422,
        'signing_certificate_mismatch',
      ],
      ['a file that is not PKCS#12', () => Buffer.from('%PDF-1.4\n garbage \n%%EOF\n'), PIN, 422, 'signing_certificate_unreadable'],
      ['a file over 64 KiB', () => Buffer.alloc(65 * 1024, 0x30), PIN, 413, 'payload_too_large'],
      ['no PIN', () => rsa.p12, null, 400, 'validation_failed'],
    ];
    it.each(cases)('refuses %s', async (_what, file, pin, status, code) => {
      const res = await upload(adminA, file(), pin).expect(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe(code);
      expect(JSON.stringify(res.body)).not.toContain(PIN);
      expect(await rows(a.tenantId)).toEqual([]);
    });

    it('refuses a body that is not multipart, and an upload without the CSRF token', async () => {
      const res = await adminA.agent.post('/api/v1/signing-certificates').set('X-CSRF-Token', adminA.csrf).send({ pin: PIN }).expect(400);
      expect(res.body.code).toBe('validation_failed');
      await adminA.agent.post('/api/v1/signing-certificates').field('pin', PIN).attach('file', rsa.p12, 'a.p12').expect(403);
      expect(await rows(a.tenantId)).toEqual([]);
    });

    it('refuses a body cut inside the file with 400 (no crash), on both upload routes', async () => {
      const office = (await adminA.agent.post('/api/v1/offices').set('X-CSRF-Token', adminA.csrf).send({ name: '切断テスト' }).expect(201))
        .body.id as string;
      const cut =
        '--XB\r\nContent-Disposition: form-data; name="pin"\r\n\r\nx\r\n--XB\r\nContent-Disposition: form-data; name="file"; filename="a.p12"\r\n\r\n0123';
      for (const [method, url] of [
        ['post', '/api/v1/signing-certificates'],
        ['put', `/api/v1/offices/${office}/proxy-certificate`],
      ] as const) {
        const res = await adminA.agent[method](url)
          .set('X-CSRF-Token', adminA.csrf)
          .set('Content-Type', 'multipart/form-data; boundary=XB')
          .send(cut);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      }
      await adminA.agent.get('/api/v1/signing-certificates').expect(200);
    });

    it('refuses a member (admins only) and an API-token-less anonymous caller', async () => {
      expect((await upload(memberA, rsa.p12).expect(403)).body.code).toBeDefined();
      await memberA.agent.delete('/api/v1/signing-certificates/current').set('X-CSRF-Token', memberA.csrf).expect(403);
      expect(await rows(a.tenantId)).toEqual([]);
    });
  });

  describe('a valid certificate', () => {
    it('stores an openssl RSA-2048 PKCS#12: metadata in plain, the key only sealed, audited without names', async () => {
      const res = await upload(adminA, rsa.p12).expect(201);
      const x509 = new X509Certificate(rsa.cert);
      expect(res.body).toMatchObject({
        status: 'active',
        subjectCommonName: '山田 太郎',
        subjectOrganization: 'テスト社会保険労務士法人',
        subject: 'CN=山田 太郎, O=テスト社会保険労務士法人, C=JP',
        fingerprintSha256: x509.fingerprint256,
        serialNumber: x509.serialNumber.toUpperCase(),
        keyBits: 2048,
        expiringSoon: false,
        chainLength: 0,
      });
      expect(res.body.expiresInDays).toBeGreaterThanOrEqual(398);
      expect(new Date(res.body.notAfter).getTime()).toBe(new Date(x509.validTo).getTime());

      const [row] = await rows(a.tenantId);
      expect(row.status).toBe('active');
      expect(new X509Certificate(row.certificate_pem).fingerprint256).toBe(x509.fingerprint256);
      const sealed: Buffer = row.private_key_sealed;
      expect(Buffer.isBuffer(sealed)).toBe(true);
      const pkcs8 = createPrivateKey(rsa.key).export({ type: 'pkcs8', format: 'der' });
      for (const needle of ['PRIVATE KEY', pkcs8.subarray(40, 80).toString('base64'), PIN])
        expect(sealed.includes(Buffer.from(needle))).toBe(false);
      expect(sealed.includes(pkcs8.subarray(40, 80))).toBe(false);

      const ev = await t.ds.query(
        `SELECT action, details::text AS details FROM audit_events WHERE chain_key = $1 AND action LIKE 'signing_certificate.%' ORDER BY seq`,
        [a.tenantId],
      );
      const uploaded = ev.filter((e: { action: string }) => e.action === 'signing_certificate.uploaded');
      expect(uploaded).toHaveLength(1);
      expect(JSON.parse(uploaded[0].details)).toMatchObject({ fingerprintSha256: x509.fingerprint256, keyBits: 2048 });
      for (const e of ev) {
        expect(e.details).not.toContain('山田');
        expect(e.details).not.toContain('テスト社会保険労務士法人');
        expect(e.details).not.toContain(PIN);
      }
      // The refusals above were audited too, with their reason only.
      expect(ev.filter((e: { action: string }) => e.action === 'signing_certificate.refused').length).toBeGreaterThanOrEqual(8);
    });

    it('lets members (filing rights) read the metadata, never the key', async () => {
      const res = await memberA.agent.get('/api/v1/signing-certificates').expect(200);
      expect(res.body.current.subjectCommonName).toBe('山田 太郎');
      expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE KEY|privateKey|sealed/i);
    });

    it('gives the filing services the opened key that belongs to the certificate', async () => {
      const sut = t.app.get(SigningCredentialsService);
      const c = await sut.credentialsFor(a.tenantId);
      expect(c).toBeDefined();
      expect(new X509Certificate(c!.certificatePem).checkPrivateKey(createPrivateKey(c!.privateKeyPem))).toBe(true);
      expect(createPrivateKey(c!.privateKeyPem).export({ type: 'pkcs8', format: 'pem' })).toBe(
        createPrivateKey(rsa.key).export({ type: 'pkcs8', format: 'pem' }),
      );
      expect(await sut.credentialsFor(b.tenantId)).toBeUndefined();
      expect(await sut.signerFor(b.tenantId)).toBeUndefined();
      // The signer it builds signs a package whose signature verifies with this certificate.
      const signer = await sut.signerFor(a.tenantId);
      expect(signer).toBeDefined();
      const files = await signer!.sign([
        { name: 'kousei.xml', data: Buffer.from(SIGNABLE_KOUSEI, 'utf8') },
        { name: '495013521019030837_01.xml', data: Buffer.from('<DataRoot/>', 'utf8') },
      ]);
      const verdict = verifyPackageSignature(files);
      expect(verdict).toMatchObject({ ok: true });
      // After notAfter it refuses to sign.
      await expect(sut.credentialsFor(a.tenantId, new Date(Date.now() + 500 * DAY))).rejects.toMatchObject({
        code: 'signing_certificate_expired',
      });
    });

    it('isolates tenants: another tenant’s admin sees nothing and cannot remove it', async () => {
      const res = await adminB.agent.get('/api/v1/signing-certificates').expect(200);
      expect(res.body).toEqual({ current: null, history: [] });
      await adminB.agent.delete('/api/v1/signing-certificates/current').set('X-CSRF-Token', adminB.csrf).expect(404);
      expect((await adminA.agent.get('/api/v1/signing-certificates').expect(200)).body.current.subjectCommonName).toBe('山田 太郎');
    });

    it('replaces the certificate: the old one becomes history with its sealed key erased', async () => {
      const first = (await adminA.agent.get('/api/v1/signing-certificates').expect(200)).body.current;
      const res = await upload(adminA, rsa2.p12, PIN, '代表者.pfx').expect(201);
      expect(res.body).toMatchObject({ subjectCommonName: '代表 花子', keyBits: 3072 });
      const list = (await adminA.agent.get('/api/v1/signing-certificates').expect(200)).body;
      expect(list.current.id).toBe(res.body.id);
      expect(list.history.map((h: { id: string; status: string }) => [h.id, h.status])).toEqual([[first.id, 'revoked']]);
      expect(list.history[0].revokedAt).toEqual(expect.any(String));
      const all = await rows(a.tenantId);
      expect(all.map((r: { status: string; private_key_sealed: Buffer | null }) => [r.status, r.private_key_sealed === null])).toEqual([
        ['revoked', true],
        ['active', false],
      ]);
    });

    it('warns when the certificate expires within 30 days', async () => {
      const soon = makeTestP12({ pin: PIN, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 10 * DAY + 3600_000) });
      const res = await upload(adminA, soon.p12).expect(201);
      expect(res.body).toMatchObject({ expiresInDays: 10, expiringSoon: true });
    });

    it('removes the current certificate (204), audited; signing then has no credentials', async () => {
      await adminA.agent.delete('/api/v1/signing-certificates/current').set('X-CSRF-Token', adminA.csrf).expect(204);
      await adminA.agent.delete('/api/v1/signing-certificates/current').set('X-CSRF-Token', adminA.csrf).expect(404);
      expect((await adminA.agent.get('/api/v1/signing-certificates').expect(200)).body.current).toBeNull();
      expect(await t.app.get(SigningCredentialsService).credentialsFor(a.tenantId)).toBeUndefined();
      const keys = await t.ds.query(
        `SELECT count(*)::int AS n FROM signing_certificates WHERE private_key_sealed IS NOT NULL AND tenant_id = $1`,
        [a.tenantId],
      );
      expect(keys[0].n).toBe(0);
      const ev = await t.ds.query(`SELECT details FROM audit_events WHERE chain_key = $1 AND action = 'signing_certificate.removed'`, [
        a.tenantId,
      ]);
      expect(ev).toHaveLength(1);
      expect(ev[0].details).toEqual({ fingerprintSha256: expect.any(String), notBefore: expect.any(String), notAfter: expect.any(String) });
    });

    it('never writes the PIN to the logs or the data directory', async () => {
      await upload(adminA, rsa.p12).expect(201); // one more success, then scan everything the app wrote
      await upload(adminA, rsa.p12, `${PIN}-wrong`).expect(422);
      const files = filesUnder(t.config.dataDir);
      expect(files.some((f) => f.includes(`${path.sep}logs${path.sep}`))).toBe(true);
      const logs = files
        .filter((f) => f.includes(`${path.sep}logs${path.sep}`))
        .map((f) => fs.readFileSync(f, 'utf8'))
        .join('\n');
      expect(logs).toMatch(/signing-certificates/); // the requests were logged: the scan can fail
      for (const f of files) {
        const bytes = fs.readFileSync(f);
        expect({ f, hit: bytes.includes(Buffer.from(PIN)) }).toEqual({ f, hit: false });
      }
    });
  });

  describe('提出代行証明書 per office', () => {
    let officeA: string;
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% 提出代行証明書\n%%EOF\n', 'utf8');
    const put = (u: LoggedIn, officeId: string, body: Buffer, name: string) =>
      u.agent.put(`/api/v1/offices/${officeId}/proxy-certificate`).set('X-CSRF-Token', u.csrf).attach('file', body, { filename: name });

    beforeAll(async () => {
      officeA = (await adminA.agent.post('/api/v1/offices').set('X-CSRF-Token', adminA.csrf).send({ name: '顧問先 本社' }).expect(201)).body
        .id;
    });

    it('stores a PDF sealed, scanned; members read the metadata; the filing service gets the bytes', async () => {
      expect((await memberA.agent.get(`/api/v1/offices/${officeA}/proxy-certificate`).expect(200)).body).toEqual({ certificate: null });
      const res = await put(adminA, officeA, pdf, '提出代行証明書.pdf').expect(200);
      expect(res.body).toMatchObject({
        officeId: officeA,
        fileName: '提出代行証明書.pdf',
        contentType: 'application/pdf',
        size: pdf.length,
      });
      const got = (await memberA.agent.get(`/api/v1/offices/${officeA}/proxy-certificate`).expect(200)).body.certificate;
      expect(got.fileName).toBe('提出代行証明書.pdf');
      const file = await t.app.get(SigningCredentialsService).proxyCertificateFor(a.tenantId, officeA);
      expect(file).toEqual({ fileName: '提出代行証明書.pdf', data: pdf });
      const row = await t.ds.query(`SELECT name_sealed, blob_key FROM office_proxy_certificates WHERE office_id = $1`, [officeA]);
      expect(row[0].name_sealed.includes(Buffer.from('提出代行証明書'))).toBe(false);
      const ev = await t.ds.query(`SELECT details FROM audit_events WHERE chain_key = $1 AND action = 'proxy_certificate.uploaded'`, [
        a.tenantId,
      ]);
      expect(ev[0].details).toMatchObject({ type: 'pdf', scan: 'clean', replaced: false });
    });

    it('replaces it with an XML file and removes the old blob', async () => {
      const before = await t.ds.query(`SELECT blob_key FROM office_proxy_certificates WHERE office_id = $1`, [officeA]);
      const xml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><提出代行証明書><事業所>顧問先</事業所></提出代行証明書>');
      const res = await put(adminA, officeA, xml, 'daikou.xml').expect(200);
      expect(res.body.contentType).toBe('application/xml');
      expect((await t.app.get(SigningCredentialsService).proxyCertificateFor(a.tenantId, officeA))?.data).toEqual(xml);
      expect(await t.ds.query(`SELECT 1 FROM office_proxy_certificates WHERE blob_key = $1`, [before[0].blob_key])).toEqual([]);
    });

    it('refuses other types, EICAR, members, and other tenants', async () => {
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);
      expect((await put(adminA, officeA, png, 'x.png').expect(415)).body.code).toBe('unsupported_file_type');
      const eicar = Buffer.from('%PDF-1.4\nX5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\n%%EOF\n', 'latin1');
      expect((await put(adminA, officeA, eicar, 'v.pdf').expect(422)).body.code).toBe('malware_detected');
      await put(memberA, officeA, pdf, 'x.pdf').expect(403);
      await adminB.agent.get(`/api/v1/offices/${officeA}/proxy-certificate`).expect(404);
      await put(adminB, officeA, pdf, 'x.pdf').expect(404);
      await adminB.agent.delete(`/api/v1/offices/${officeA}/proxy-certificate`).set('X-CSRF-Token', adminB.csrf).expect(404);
      expect(await t.app.get(SigningCredentialsService).proxyCertificateFor(b.tenantId, officeA)).toBeUndefined();
      expect((await adminA.agent.get(`/api/v1/offices/${officeA}/proxy-certificate`).expect(200)).body.certificate.fileName).toBe(
        'daikou.xml',
      );
    });

    it('removes it (204, audited)', async () => {
      await adminA.agent.delete(`/api/v1/offices/${officeA}/proxy-certificate`).set('X-CSRF-Token', adminA.csrf).expect(204);
      await adminA.agent.delete(`/api/v1/offices/${officeA}/proxy-certificate`).set('X-CSRF-Token', adminA.csrf).expect(404);
      expect((await adminA.agent.get(`/api/v1/offices/${officeA}/proxy-certificate`).expect(200)).body).toEqual({ certificate: null });
      const ev = await t.ds.query(`SELECT 1 FROM audit_events WHERE chain_key = $1 AND action = 'proxy_certificate.removed'`, [a.tenantId]);
      expect(ev).toHaveLength(1);
    });
  });
});
