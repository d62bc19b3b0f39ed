import { createPrivateKey, JsonWebKey, randomBytes, sign } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { KeyfilesService, PasswordService, TenantsService, UsersService } from '@charlotte/auth';

export interface Seeded {
  tenantCode: string;
  tenantId: string;
  adminEmail: string;
  adminPassword: string;
  /** The admin's key file (issued as an administrator would): key id and private JWK. */
  adminKey: { keyId: string; privateKeyJwk: JsonWebKey };
  members: number;
}

/**
 * Tenant `bench` with one admin (through the services, as the CLI does) and
 * `members` active member users inserted by one SQL statement, all sharing one
 * precomputed argon2id hash. created_at is spread one second apart so that the
 * keyset pagination (created_at, id) sees distinct values as in real data.
 */
export async function seedTenant(app: NestExpressApplication, members: number): Promise<Seeded> {
  const tenantCode = 'bench';
  const adminPassword = randomBytes(18).toString('base64url');
  const tenant = await app.get(TenantsService).create(tenantCode, 'Bench 株式会社');
  const adminEmail = `admin@${tenantCode}.example`;
  const { user } = await app
    .get(UsersService)
    .create(tenant.id, { email: adminEmail, displayName: '管理者', role: 'admin', password: adminPassword });
  const file = await app.get(KeyfilesService).issue(tenant.id, user.id, 'bench', undefined, null);
  const adminKey = { keyId: file.keyId, privateKeyJwk: file.privateKeyJwk as JsonWebKey };

  const sharedHash = await app.get(PasswordService).hash(randomBytes(18).toString('base64url'));
  const ds = app.get(DataSource);
  await ds.query(
    `INSERT INTO users (tenant_id, email, display_name, role, status, password_hash, created_at, updated_at)
     SELECT $1, 'member' || lpad(n::text, 6, '0') || '@' || $2 || '.example', 'Member ' || n, 'member', 'active', $3,
            now() - make_interval(secs => $4 + 1 - n), now() - make_interval(secs => $4 + 1 - n)
       FROM generate_series(1, $4::int) AS n`,
    [tenant.id, tenantCode, sharedHash, members],
  );
  const [{ n }]: Array<{ n: string }> = await ds.query('SELECT count(*) AS n FROM users WHERE tenant_id = $1', [tenant.id]);
  if (Number(n) !== members + 1) throw new Error(`seeding: expected ${members + 1} users in tenant ${tenantCode}, found ${n}`);
  // Fresh statistics, as autovacuum would have produced in a long-running system.
  await ds.query('ANALYZE');
  return { tenantCode, tenantId: tenant.id, adminEmail, adminPassword, adminKey, members };
}

/** Full login through the API: password step, then the key-file step signed with ES256. */
export async function login(
  baseUrl: string,
  tenant: string,
  email: string,
  password: string,
  key: { keyId: string; privateKeyJwk: JsonWebKey },
): Promise<{ cookie: string; csrf: string }> {
  const first = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ tenant, email, password }),
  });
  const step1 = (await first.json()) as { step?: string; challenge?: string };
  if (first.status !== 200 || step1.step !== 'keyfile' || !step1.challenge)
    throw new Error(`password step failed: ${first.status} ${JSON.stringify(step1).slice(0, 300)}`);
  const pending = first.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('charlotte_session='));
  const signature = sign('sha256', Buffer.from(`charlotte-login:v1:${step1.challenge}`), {
    key: createPrivateKey({ key: key.privateKeyJwk, format: 'jwk' }),
    dsaEncoding: 'ieee-p1363',
  }).toString('base64url');
  const res = await fetch(`${baseUrl}/api/v1/auth/keyfile`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', cookie: pending ?? '' },
    body: JSON.stringify({ keyId: key.keyId, signature }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`key-file step failed: ${res.status} ${text.slice(0, 300)}`);
  const session = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('charlotte_session='));
  if (!session) throw new Error('login answered 200 without a charlotte_session cookie');
  const body = JSON.parse(text) as { csrfToken?: string };
  if (!body.csrfToken) throw new Error('login answered 200 without csrfToken');
  return { cookie: session, csrf: body.csrfToken };
}
