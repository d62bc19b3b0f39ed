import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Picks the PostgreSQL server the tests create their databases on:
 * TEST_DATABASE_URL when set (CI: the machine's server), otherwise an embedded
 * PostgreSQL started here in a temporary directory and stopped in teardown.
 * Each test file then creates its own fresh database on that server.
 */
export default async function globalSetup(): Promise<void> {
  // The built servers that tests spawn (they pass process.env on) must not all bind the fixed default
  // metrics port 9464 at once: off unless a test gives it a free port (process.e2e-spec.ts does).
  process.env.METRICS_PORT ??= '';
  if (process.env.TEST_DATABASE_URL) return;
  const { openEmbeddedDatabase } = await import('../../libs/core/src');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-test-pg-'));
  const handle = await openEmbeddedDatabase({ dataDir: dir, port: 0 });
  const url = new URL(handle.url);
  url.pathname = '/postgres';
  process.env.TEST_DATABASE_URL = url.toString();
  (globalThis as Record<string, unknown>).__charlotteTestPg = { handle, dir };
  process.stdout.write(`\n[tests] no TEST_DATABASE_URL: started an embedded PostgreSQL in ${dir}\n`);
}
