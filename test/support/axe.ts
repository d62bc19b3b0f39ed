import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AxeResults, ImpactValue, NodeResult, Result } from 'axe-core';
import type { Page } from 'playwright-core';

/**
 * axe-core in the browser tests (conventions.md 15): the page's accessibility
 * checked against WCAG 2.1 A and AA, colour contrast included.
 *
 * axe-core itself (not @axe-core/playwright, which wants Node 22) is
 * evaluated in the page and run there; only its JSON results come back. It is
 * evaluated through the DevTools protocol rather than added as a <script> tag
 * because the app's Content-Security-Policy (rightly) refuses inline scripts.
 */

/** The rules of WCAG 2.0/2.1, levels A and AA (what the issue asks for; best practices are not failures). */
export const WCAG_21_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] as const;

/** Impacts that fail a test: what keeps someone from using the page, as opposed to polish. */
export const FAILING_IMPACTS: readonly ImpactValue[] = ['serious', 'critical'];

const AXE_SCRIPT = path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js');
let axeSource: string | undefined;

export interface AxeOptions {
  /** CSS selectors left out of the check (say why at the call site). */
  exclude?: string[];
}

/** Runs axe-core in the page (injecting it once per document) and answers its violations. */
export async function axeViolations(page: Page, opts: AxeOptions = {}): Promise<Result[]> {
  // (The backend's TypeScript has no DOM library: the page's window and document are reached through <html>.)
  const html = page.locator('html');
  if (!(await html.evaluate((el) => 'axe' in el.ownerDocument.defaultView!))) {
    await page.evaluate((axeSource ??= fs.readFileSync(AXE_SCRIPT, 'utf8')));
  }
  const results = await html.evaluate(
    async (el, { tags, exclude }) => {
      const document = el.ownerDocument;
      const axe = (document.defaultView as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<AxeResults> } }).axe;
      const context = exclude.length > 0 ? { include: [document], exclude: exclude.map((s) => [s]) } : document;
      const r = await axe.run(context, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      // Only what the formatter needs crosses back (elements do not serialise).
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        description: v.description,
        tags: v.tags,
        nodes: v.nodes.map((n) => ({
          target: n.target,
          html: n.html,
          impact: n.impact,
          failureSummary: n.failureSummary,
          any: n.any.map((c) => ({ id: c.id, impact: c.impact, message: c.message, data: c.data, relatedNodes: [] })),
          all: [],
          none: n.none.map((c) => ({ id: c.id, impact: c.impact, message: c.message, data: c.data, relatedNodes: [] })),
        })),
      }));
    },
    { tags: [...WCAG_21_AA_TAGS] as string[], exclude: opts.exclude ?? [] },
  );
  return results as Result[];
}

/** Violations whose impact fails a test (serious, critical). */
export function failing(violations: Result[]): Result[] {
  return violations.filter((v) => v.impact !== undefined && v.impact !== null && FAILING_IMPACTS.includes(v.impact));
}

function describeNode(n: NodeResult): string {
  const target = n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : String(t))).join(' ');
  // color-contrast carries the colours and the ratio: say them, so that the fix needs no re-run.
  const data = n.any.find((c) => c.id === 'color-contrast' || c.id === 'color-contrast-enhanced')?.data as
    { fgColor?: string; bgColor?: string; contrastRatio?: number; expectedContrastRatio?: string; fontSize?: string } | undefined;
  const colours =
    data && data.fgColor
      ? ` [${data.fgColor} on ${data.bgColor}: ${data.contrastRatio}:1, needs ${data.expectedContrastRatio}, ${data.fontSize}]`
      : '';
  const html = n.html.length > 160 ? `${n.html.slice(0, 157)}...` : n.html;
  return `    - ${target}${colours}\n      ${html.replace(/\s+/g, ' ')}`;
}

/** One violation per paragraph: rule id, impact, what it means, the help URL and every offending selector. */
export function formatViolations(violations: Result[], where = ''): string {
  return violations
    .map(
      (v) =>
        `axe ${v.id} (${v.impact ?? 'unknown'})${where ? ` on ${where}` : ''}: ${v.help}\n    ${v.helpUrl}\n` +
        v.nodes.map(describeNode).join('\n'),
    )
    .join('\n');
}

/**
 * Fails the test with a readable list when the page has serious or critical
 * WCAG 2.1 A/AA violations. `where` names the page in the message.
 */
export async function expectNoAxeViolations(page: Page, where: string, opts: AxeOptions = {}): Promise<void> {
  const bad = failing(await axeViolations(page, opts));
  if (bad.length > 0) throw new Error(`accessibility violations (axe-core, WCAG 2.1 AA)\n${formatViolations(bad, where)}`);
}
