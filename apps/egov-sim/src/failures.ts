import {
  CORRECT_TYPES,
  FAILURE_KINDS,
  type CorrectType,
  type CorrectionRule,
  type FailureKind,
  type FailurePlan,
  type FailureRule,
} from './types';

/**
 * Validates a failure plan coming from options, the EGOV_SIM_FAILURES
 * environment variable or POST /__sim/failures. Throws an Error naming the
 * bad entry, so a typo never silently disables a test scenario.
 */
export function parseFailurePlan(value: unknown): FailurePlan {
  if (!Array.isArray(value)) throw new Error('the failure plan must be a JSON array of rules');
  return value.map((entry, i): FailureRule | CorrectionRule => {
    const where = `failure plan entry ${i}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new Error(`${where} must be an object`);
    const e = entry as Record<string, unknown>;
    if ('correctionFor' in e) {
      const target = e.correctionFor;
      if (typeof target !== 'string' || !(target === 'next' || /^\d{16,18}$/.test(target))) {
        throw new Error(`${where}: correctionFor must be 'next' or an arrive_id (16-18 digits)`);
      }
      const correctType = e.correctType;
      if (correctType !== undefined && !CORRECT_TYPES.includes(correctType as CorrectType)) {
        throw new Error(`${where}: correctType must be one of ${CORRECT_TYPES.join(', ')}`);
      }
      const extra = Object.keys(e).filter((k) => k !== 'correctionFor' && k !== 'correctType');
      if (extra.length > 0) throw new Error(`${where}: unknown field(s) ${extra.join(', ')}`);
      return { correctionFor: target, correctType: (correctType as CorrectType | undefined) ?? '部分補正' };
    }
    const { path, method, times, kind } = e;
    if (typeof path !== 'string' || !path.startsWith('/')) throw new Error(`${where}: path must be a string starting with /`);
    if (method !== undefined && (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method))) throw new Error(`${where}: bad method`);
    if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) throw new Error(`${where}: times must be an integer >= 1`);
    if (typeof kind !== 'string' || !FAILURE_KINDS.includes(kind as FailureKind)) {
      throw new Error(`${where}: kind must be one of ${FAILURE_KINDS.join(', ')}`);
    }
    const extra = Object.keys(e).filter((k) => !['path', 'method', 'times', 'kind'].includes(k));
    if (extra.length > 0) throw new Error(`${where}: unknown field(s) ${extra.join(', ')}`);
    const rule: FailureRule = { path: normalizeRulePath(path), times, kind: kind as FailureKind };
    if (method !== undefined) rule.method = (method as string).toUpperCase();
    return rule;
  });
}

export function isCorrectionRule(entry: FailureRule | CorrectionRule): entry is CorrectionRule {
  return 'correctionFor' in entry;
}

/** '/shinsei/v2/apply/' → '/apply' */
export function normalizeRulePath(path: string): string {
  let p = path.startsWith('/shinsei/v2/') ? path.slice('/shinsei/v2'.length) : path;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/** Does a rule path (possibly with `{name}` segments) match a concrete request path? */
export function rulePathMatches(rulePath: string, requestPath: string): boolean {
  const a = rulePath.split('/');
  const b = requestPath.split('/');
  if (a.length !== b.length) return false;
  return a.every((seg, i) => (/^\{[^/{}]+\}$/.test(seg) ? b[i].length > 0 : seg === b[i]));
}

/** The rules still to apply, consumed one request at a time. */
export class FailureInjector {
  private rules: FailureRule[] = [];

  replace(rules: FailureRule[]): void {
    this.rules = rules.map((r) => ({ ...r }));
  }

  add(rules: FailureRule[]): void {
    this.rules.push(...rules.map((r) => ({ ...r })));
  }

  /** The first rule matching the request, with one use consumed; undefined when none. */
  take(method: string, path: string): FailureKind | undefined {
    const index = this.rules.findIndex((r) => (r.method === undefined || r.method === method) && rulePathMatches(r.path, path));
    if (index < 0) return undefined;
    const rule = this.rules[index];
    rule.times -= 1;
    if (rule.times <= 0) this.rules.splice(index, 1);
    return rule.kind;
  }

  pending(): FailureRule[] {
    return this.rules.map((r) => ({ ...r }));
  }
}
