/**
 * Lists applications with an API token (scope applications:read), page by page.
 *
 *   CHARLOTTE_URL=https://charlotte.example.jp CHARLOTTE_TOKEN=chr_... npx tsx examples/list-applications.ts
 *   (or compile with tsc; Node 18+ has fetch)
 *
 * CHARLOTTE_PATH points it at another list, e.g. the audit trail with a token
 * that has audit:read: CHARLOTTE_PATH=/api/v1/audit-events
 * Errors are application/problem+json with a stable `code` (see /api/docs).
 */
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface Problem {
  status: number;
  code: string;
  detail?: string;
}

async function* listAll<T>(baseUrl: string, path: string, token: string): AsyncGenerator<T> {
  let cursor: string | null = null;
  do {
    const url = new URL(path, baseUrl);
    url.searchParams.set('limit', '50');
    if (cursor) url.searchParams.set('cursor', cursor);
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
    if (!res.ok) {
      const p = (await res.json().catch(() => ({ status: res.status, code: 'unknown' }))) as Problem;
      throw new Error(`${p.status} ${p.code}${p.detail ? `: ${p.detail}` : ''}`);
    }
    const page = (await res.json()) as Page<T>;
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

async function main(): Promise<void> {
  const baseUrl = process.env.CHARLOTTE_URL;
  const token = process.env.CHARLOTTE_TOKEN;
  if (!baseUrl || !token) throw new Error('set CHARLOTTE_URL and CHARLOTTE_TOKEN');
  for await (const item of listAll<Record<string, unknown>>(baseUrl, process.env.CHARLOTTE_PATH ?? '/api/v1/applications', token)) {
    console.log(JSON.stringify(item));
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
