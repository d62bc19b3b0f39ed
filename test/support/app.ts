import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { KeyfilesService, TenantsService, UsersService } from '@charlotte/auth';
import { AppConfig, loadConfig } from '@charlotte/core';
import { createApp } from '../../apps/api/src/app.factory';
import { tlsServerOptions } from '../../apps/api/src/tls';
import { createTestDatabase, TestDatabase } from './db';
import { newTestKey, signChallenge, TestKey } from './keys';

export interface TestApp {
  app: NestExpressApplication;
  http: ReturnType<NestExpressApplication['getHttpServer']>;
  config: AppConfig;
  db: TestDatabase;
  ds: DataSource;
  close(): Promise<void>;
}

/**
 * The whole application on a fresh database, as main.ts builds it (HTTPS when the env names
 * TLS_CERT_FILE/TLS_KEY_FILE). `opts.db`: a second instance on another's database (it does not drop it).
 */
export async function startTestApp(env: Record<string, string> = {}, opts: { db?: TestDatabase } = {}): Promise<TestApp> {
  const db = opts.db ?? (await createTestDatabase());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-test-data-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_STDOUT: 'false',
    // Cheaper argon2id than production so that lockout tests stay fast; same algorithm.
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_ITERATIONS: '1',
    RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
    RATE_LIMIT_API_PER_MINUTE: '100000',
    ...env,
  });
  const app = await createApp(config, db.url, { nestLogs: false, schedule: false, https: tlsServerOptions(config) });
  return {
    app,
    http: app.getHttpServer(),
    config,
    db,
    ds: app.get(DataSource),
    async close() {
      await app.close();
      if (!opts.db) await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const PASSWORD = 'correct horse battery staple';

/** Keys registered by the tests, by "tenant/email" (the browser-side key file of each user). */
export const testKeys = new Map<string, TestKey>();

/** Registers a node:crypto key for a user (as if the user had enrolled it). */
export async function giveKey(t: TestApp, tenantCode: string, tenantId: string | null, userId: string, email: string): Promise<TestKey> {
  const key = newTestKey();
  await t.app.get(KeyfilesService).add(tenantId, userId, key.publicJwk, 'test key', 'self', userId);
  testKeys.set(`${tenantCode}/${email}`, key);
  return key;
}

export interface Seeded {
  tenantId: string;
  code: string;
  adminId: string;
  adminEmail: string;
  memberId: string;
  memberEmail: string;
}

/** A tenant with one admin and one member (through the services, as the CLI does); `kind: 'sharoushi'` for a 社労士 office. */
export async function seedTenant(t: TestApp, code: string, opts: { kind?: 'company' | 'sharoushi' } = {}): Promise<Seeded> {
  const tenant = await t.app.get(TenantsService).create(code, `${code} 株式会社`, opts.kind);
  const users = t.app.get(UsersService);
  const admin = await users.create(tenant.id, { email: `admin@${code}.example`, displayName: '管理者', role: 'admin', password: PASSWORD });
  const member = await users.create(tenant.id, {
    email: `member@${code}.example`,
    displayName: '一般',
    role: 'member',
    password: PASSWORD,
  });
  await giveKey(t, code, tenant.id, admin.user.id, admin.user.email);
  await giveKey(t, code, tenant.id, member.user.id, member.user.email);
  return {
    tenantId: tenant.id,
    code,
    adminId: admin.user.id,
    adminEmail: admin.user.email,
    memberId: member.user.id,
    memberEmail: member.user.email,
  };
}

export interface LoggedIn {
  cookie: string;
  csrf: string;
  agent: request.Agent;
}

/**
 * Logs in as the SPA does: password step, then the key-file step signed with the
 * user's test key (or enrolment of a new key when the server asks for it).
 */
export async function login(t: TestApp, tenant: string, email: string, password = PASSWORD): Promise<LoggedIn> {
  const agent = request.agent(t.http);
  const first = await agent.post('/api/v1/auth/login').send({ tenant, email, password });
  if (first.status !== 200) throw new Error(`login failed: ${first.status} ${JSON.stringify(first.body)}`);
  let res: request.Response;
  if (first.body.step === 'keyfile') {
    const key = testKeys.get(`${tenant}/${email.toLowerCase()}`);
    if (!key) throw new Error(`no test key for ${tenant}/${email}`);
    res = await agent
      .post('/api/v1/auth/keyfile')
      .send({ keyId: key.keyId, signature: signChallenge(key.privateKey, first.body.challenge) });
  } else if (first.body.step === 'enroll_keyfile') {
    const key = newTestKey();
    res = await agent
      .post('/api/v1/auth/keyfile/enroll')
      .send({ publicKeyJwk: key.publicJwk, label: 'test', signature: signChallenge(key.privateKey, first.body.challenge) });
    testKeys.set(`${tenant}/${email.toLowerCase()}`, key);
  } else throw new Error(`unexpected step ${JSON.stringify(first.body)}`);
  if (res.status !== 200 || res.body.step !== 'done') throw new Error(`key step failed: ${res.status} ${JSON.stringify(res.body)}`);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return { cookie: setCookie.map((c) => c.split(';')[0]).join('; '), csrf: res.body.csrfToken as string, agent };
}
