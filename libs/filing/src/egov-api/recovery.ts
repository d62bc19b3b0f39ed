import { parseEgovDateTime } from './jst';
import type { ApplyListItem } from './types';

/**
 * Which case at e-Gov an attempt with an unknown outcome created.
 *
 * GET /apply/lists carries no proc_id, so a case is recognised by its arrival time and its
 * procedure name (proc_name, e-Gov's 手続名称) among the cases that belong to none of our
 * applications. What remains ambiguous, and why we do not guess:
 * - two filings of the same procedure by this e-Gov account in the window (another application of
 *   ours whose answer was also lost, or a filing made outside Charlotte with the same account) are
 *   indistinguishable: the list has no applicant data of ours to compare (only e-Gov's
 *   applicant_name/corporation_name, which are the account holder's, the same for all);
 * - a line without arrive_date or proc_name cannot be excluded, so it counts as a candidate;
 * - e-Gov may print a 手続名称 that differs from ours after a form revision (the comparison ignores
 *   width and spaces only): such a case is then not found and the package is sent again (a duplicate
 *   can be withdrawn; adopting another filing could not be noticed).
 * With exactly one candidate it is adopted; with none the package is sent; with several the
 * submission stays "outcome unknown" and the user decides after looking at e-Gov.
 */
export type OrphanMatch = { kind: 'one'; arriveId: string } | { kind: 'none' } | { kind: 'ambiguous'; count: number };

/** NFKC, no spaces: 全角/半角 and spacing differences are not differences of procedure. */
export function normaliseProcName(name: string): string {
  return name.normalize('NFKC').replace(/\s+/g, '');
}

export function matchOrphanCase(
  cases: readonly ApplyListItem[],
  q: { since: Date; until: Date; procName: string; known: ReadonlySet<string> },
): OrphanMatch {
  const want = normaliseProcName(q.procName);
  const candidates = cases.filter((c) => {
    if (q.known.has(c.arrive_id)) return false;
    if (c.proc_name !== undefined && normaliseProcName(c.proc_name) !== want) return false;
    if (c.arrive_date !== undefined) {
      const at = parseEgovDateTime(c.arrive_date);
      if (at && (at.getTime() < q.since.getTime() || at.getTime() > q.until.getTime())) return false;
    }
    return true;
  });
  const unique = [...new Set(candidates.map((c) => c.arrive_id))];
  if (unique.length === 0) return { kind: 'none' };
  if (unique.length === 1) return { kind: 'one', arriveId: unique[0] };
  return { kind: 'ambiguous', count: unique.length };
}
