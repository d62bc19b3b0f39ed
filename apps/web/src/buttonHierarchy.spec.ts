import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'vue/compiler-sfc';
import ja from '@/i18n/ja';

/**
 * The button hierarchy of styles.css ("buttons" comment block), checked on
 * every .vue template of the SPA:
 *  1. at most one primary button (`button-primary`) can be on screen at once
 *     in a component, dialogs aside (a dialog is its own view);
 *  2. a button labelled with a destructive word (削除, 失効, 再登録を許可,
 *     無効にする, 連携を解除, 取り下げ, 解約, 消去, リストア) carries a danger class,
 *     the outline one on a page (`button-danger-outline`; the filled
 *     `button-danger` is the confirm button of a dialog only), and a
 *     ConfirmDialog confirming one is `danger`;
 *  3. a destructive button is never in the same group as routine buttons: its
 *     parent element holds destructive buttons only (a danger zone, a
 *     separate group of a row), dialogs aside.
 * The check reads the templates (not rendered pages), so "at once" is judged
 * from the v-if conditions around each primary: two primaries are exclusive
 * when one sits under `x` and the other under `!x` (or `x === 'a'` and
 * `x === 'b'`, or a v-if/v-else chain). A component used inside a view is
 * checked on its own (a panel or form with its own submit).
 */

const SRC = __dirname;

/** The words of a destructive action, as the labels of ja.ts spell them. */
const DESTRUCTIVE = /削除|失効|再登録を許可|無効にする|無効化|連携を解除|取り下げ|^解約(する)?$|消去(する)?$|リストア/;

/**
 * Conditions the template cannot show to be exclusive but the state machine
 * makes so; each with the reason.
 */
const EXCLUSIVE: readonly (readonly [string, string])[] = [
  // FilingAlerts: 提出 is for a draft ready to send, 補正 for an application e-Gov sent back; one status never allows both.
  ['canSubmit', 'canAmend'],
];

// compiler-core node types (the raw template AST of @vue/compiler-sfc's parse).
const ELEMENT = 1;
const TEXT = 2;
const INTERPOLATION = 5;
const ATTRIBUTE = 6;
const DIRECTIVE = 7;

interface Prop {
  type: number;
  name: string;
  value?: { content: string };
  arg?: { content: string };
  exp?: { content: string };
}
interface Node {
  type: number;
  tag?: string;
  props?: Prop[];
  children?: Node[];
  content?: { content: string } | string;
  loc: { start: { line: number } };
}

function vueFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return vueFiles(path);
    return entry.name.endsWith('.vue') ? [path] : [];
  });
}

function message(key: string): string | null {
  let node: unknown = ja;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return null;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : null;
}

const keysIn = (expression: string): string[] => [...expression.matchAll(/\bt\(\s*'([^']+)'/g)].map((m) => m[1]!);
const isDestructiveKey = (key: string): boolean => DESTRUCTIVE.test(message(key) ?? '');

const squash = (s: string): string => s.replace(/\s+/g, '');

/** `!x` for `x`, `x` for `!x`, `a!==b` for `a===b` and back. */
function negate(condition: string): string {
  if (/^!\w[\w.?]*$/.test(condition)) return condition.slice(1);
  if (/^!\(.*\)$/.test(condition)) return condition.slice(2, -1);
  if (condition.includes('===')) return condition.replace('===', '!==');
  if (condition.includes('!==')) return condition.replace('!==', '===');
  return /^[\w.?]+$/.test(condition) ? `!${condition}` : `!(${condition})`;
}

/** The conditions a v-if expression asserts (its top-level `&&` parts). */
function conjuncts(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  const s = squash(expression);
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && c === '&' && s[i + 1] === '&') {
      parts.push(s.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

function contradicts(a: string, b: string): boolean {
  if (negate(a) === b || negate(b) === a) return true;
  if (EXCLUSIVE.some(([x, y]) => (a === x && b === y) || (a === y && b === x))) return true;
  // x === 'a' against x === 'b'.
  const ma = /^(.+)===('[^']*')$/.exec(a);
  const mb = /^(.+)===('[^']*')$/.exec(b);
  return !!ma && !!mb && ma[1] === mb[1] && ma[2] !== mb[2];
}

function attr(node: Node, name: string): string | null {
  const p = node.props?.find((prop) => prop.type === ATTRIBUTE && prop.name === name);
  return p ? (p.value?.content ?? '') : null;
}
function bound(node: Node, name: string): string | null {
  const p = node.props?.find((prop) => prop.type === DIRECTIVE && prop.name === 'bind' && prop.arg?.content === name);
  return p ? (p.exp?.content ?? '') : null;
}
function directive(node: Node, name: string): Prop | undefined {
  return node.props?.find((prop) => prop.type === DIRECTIVE && prop.name === name);
}

/** Conditions under which the class holds `button-primary`; null when it never does. */
function primaryConditions(node: Node): string[] | null {
  if ((attr(node, 'class') ?? '').split(/\s+/).includes('button-primary')) return [];
  const dynamic = bound(node, 'class');
  if (!dynamic || !dynamic.includes('button-primary')) return null;
  const s = squash(dynamic);
  const object = /'button-primary':([^,}]+)/.exec(s);
  if (object) return conjuncts(object[1]!);
  const ternary = /^(.+?)\?(.+?):(.+)$/.exec(s);
  if (ternary) return ternary[2]!.includes('button-primary') ? conjuncts(ternary[1]!) : [negate(ternary[1]!)];
  return [];
}

function classText(node: Node): string {
  return `${attr(node, 'class') ?? ''} ${bound(node, 'class') ?? ''}`;
}

function isButton(node: Node): boolean {
  return node.tag === 'button' || /\b(button|link-button)\b/.test(attr(node, 'class') ?? '');
}

/** The i18n keys of the text inside an element (its label). */
function labelKeys(node: Node): string[] {
  const keys: string[] = [];
  for (const child of node.children ?? []) {
    if (child.type === INTERPOLATION && typeof child.content === 'object') keys.push(...keysIn(child.content.content));
    if (child.type === ELEMENT) keys.push(...labelKeys(child));
  }
  return keys;
}

function isDestructiveButton(node: Node): boolean {
  return isButton(node) && labelKeys(node).some(isDestructiveKey);
}

const isDialog = (node: Node): boolean => node.tag === 'dialog' || /Dialog$/.test(node.tag ?? '');

interface Primary {
  line: number;
  conditions: string[];
  repeated: boolean;
}

interface Findings {
  primaries: Primary[];
  problems: string[];
}

function walk(node: Node, conditions: string[], repeated: boolean, findings: Findings): void {
  if (node.type !== ELEMENT && node.type !== 0) return;
  if (node.type === ELEMENT) {
    if (directive(node, 'for')) repeated = true;
    if (isDialog(node)) {
      const confirm = bound(node, 'confirm-label');
      const isDanger = attr(node, 'danger') !== null || bound(node, 'danger') !== null;
      if (confirm && keysIn(confirm).some(isDestructiveKey) && !isDanger) {
        findings.problems.push(`line ${node.loc.start.line}: <${node.tag}> confirms a destructive action without \`danger\``);
      }
      return;
    }
    const primary = primaryConditions(node);
    if (primary) findings.primaries.push({ line: node.loc.start.line, conditions: [...conditions, ...primary], repeated });
    if (isDestructiveButton(node) && !/button-danger/.test(classText(node))) {
      findings.problems.push(`line ${node.loc.start.line}: destructive button without button-danger / button-danger-outline`);
    }
    if (/button-danger(?!-)/.test(classText(node))) {
      findings.problems.push(`line ${node.loc.start.line}: filled button-danger outside a dialog (use button-danger-outline)`);
    }
  }
  // The v-if chain among the children: v-else(-if) adds the negation of what came before.
  let chain: string[] = [];
  const children = node.children ?? [];
  const destructive = children.filter((c) => c.type === ELEMENT && isDestructiveButton(c));
  const routine = children.filter((c) => c.type === ELEMENT && isButton(c) && !isDestructiveButton(c));
  if (destructive.length > 0 && routine.length > 0) {
    findings.problems.push(
      `line ${destructive[0]!.loc.start.line}: destructive button beside routine buttons (line ${routine[0]!.loc.start.line}); give it its own group`,
    );
  }
  for (const child of children) {
    if (child.type !== ELEMENT) {
      if (child.type !== TEXT || (typeof child.content === 'string' && child.content.trim() !== '')) chain = [];
      continue;
    }
    const vIf = directive(child, 'if');
    const vElseIf = directive(child, 'else-if');
    const vElse = directive(child, 'else');
    let own: string[] = [];
    if (vIf) {
      chain = [squash(vIf.exp?.content ?? '')];
      own = conjuncts(vIf.exp?.content ?? '');
    } else if (vElseIf) {
      own = [...chain.map(negate), ...conjuncts(vElseIf.exp?.content ?? '')];
      chain = [...chain, squash(vElseIf.exp?.content ?? '')];
    } else if (vElse) {
      own = chain.map(negate);
      chain = [];
    } else {
      chain = [];
    }
    walk(child, [...conditions, ...own], repeated, findings);
  }
}

function exclusive(a: Primary, b: Primary): boolean {
  return a.conditions.some((x) => b.conditions.some((y) => contradicts(x, y)));
}

export function checkTemplate(source: string): string[] {
  const { descriptor } = parse(source);
  const ast = descriptor.template?.ast as unknown as Node | undefined;
  if (!ast) return [];
  const findings: Findings = { primaries: [], problems: [] };
  walk(ast, [], false, findings);
  const { primaries, problems } = findings;
  for (const p of primaries) {
    if (p.repeated) problems.push(`line ${p.line}: button-primary repeated in a v-for (one primary per view)`);
  }
  for (let i = 0; i < primaries.length; i++) {
    for (let j = i + 1; j < primaries.length; j++) {
      const [a, b] = [primaries[i]!, primaries[j]!];
      if (!exclusive(a, b)) problems.push(`lines ${a.line} and ${b.line}: two button-primary can show at once (one primary per view)`);
    }
  }
  return problems;
}

describe('button hierarchy', () => {
  it('finds each kind of problem (the check can fail)', () => {
    const sfc = (template: string) => `<template>${template}</template>`;
    expect(
      checkTemplate(
        sfc('<div><button class="button button-primary">{{ t("a") }}</button><button class="button button-primary">b</button></div>'),
      ),
    ).toHaveLength(1);
    expect(checkTemplate(sfc(`<div><button class="button">{{ t('users.keys.reset') }}</button></div>`))).toHaveLength(1);
    expect(
      checkTemplate(
        sfc(
          `<div><button class="button">{{ t('users.keys.close') }}</button><button class="button button-danger-outline">{{ t('users.keys.reset') }}</button></div>`,
        ),
      ),
    ).toHaveLength(1);
    expect(checkTemplate(sfc(`<ConfirmDialog :confirm-label="t('users.keys.reset')" />`))).toHaveLength(1);
    expect(checkTemplate(sfc(`<div><button class="button button-danger">{{ t('users.keys.reset') }}</button></div>`))).toHaveLength(1);
    // Exclusive by condition, or inside a dialog: fine.
    expect(
      checkTemplate(
        sfc(
          `<div><button v-if="!open" class="button button-primary">a</button><form v-if="open"><button class="button button-primary">b</button></form>` +
            `<dialog><button class="button button-primary">c</button></dialog><ConfirmDialog danger :confirm-label="t('users.keys.reset')" /></div>`,
        ),
      ),
    ).toEqual([]);
  });

  const files = vueFiles(SRC);
  it.each(files.map((f) => [relative(SRC, f), f]))('%s follows it', (_name, file) => {
    expect(checkTemplate(readFileSync(file, 'utf8'))).toEqual([]);
  });
});
