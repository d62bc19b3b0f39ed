import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');

/**
 * Every Japanese message the server can send ends with 「。」 (issue 18, bug 9: 事業所名を入力してください
 * and the office identifier messages did not). The rule, as Japanese business writing has it:
 *
 * - A **sentence** (its Japanese part ends in a predicate: …ください, …ます, …ません, …です, …した, …ない,
 *   …ある, …いる, …できる) is a message and ends with 「。」. In a bilingual literal `ja / en` the
 *   Japanese part before " / " is judged.
 * - A **noun phrase** (a label, a status such as 到達 or 試行（形式チェックのみ…）, a field name) carries
 *   no 「。」. A final parenthetical is an aside: the words before it decide.
 * - A **heading** carries no 「。」 even when it is a sentence: mail subjects, お知らせ and incident
 *   titles, the `ja` headline of a mail template, OpenAPI examples: the values of the keys in
 *   HEADING_KEYS, and of `ja` in libs/notifications/src/mail/templates.
 * - English text with a Japanese gloss in parentheses is English; its Japanese is a noun phrase.
 * - An HTML page (a literal with markup) is a document, not a message: its paragraphs are written
 *   as sentences with 「。」 and its headings without, which a reader checks by eye.
 *
 * The check reads the server's sources (libs/{lib}/src and apps/api/src, tests excluded): every string
 * and template literal with Japanese in it.
 */
const PREDICATE = /(ください|ます|ません|です|でした|ました|ない|ある|いる|できる|された|した)$/;
const HEADING_KEYS = ['title', 'subject', 'example'];
/** In mail templates, `ja` (beside `jaBody`) is the headline of the mail. */
const isHeading = (key: string | null, file: string): boolean =>
  !!key && (HEADING_KEYS.includes(key) || (key === 'ja' && file.includes(`${path.sep}mail${path.sep}templates${path.sep}`)));
const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff]/;

type Verdict = 'sentence' | 'sentence-without-period' | 'noun-phrase';

/** How a Japanese literal reads, by the rule above. */
export function classify(literal: string): Verdict {
  const ja = literal.split(' / ')[0].trim();
  if (ja.endsWith('。')) return 'sentence';
  // A final parenthetical (full- or half-width) is an aside on what precedes it.
  const head = ja.replace(/\s*[（(][^（）()]*[）)]$/, '').replace(/[」』]+$/, '');
  return PREDICATE.test(head) ? 'sentence-without-period' : 'noun-phrase';
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.ts$/.test(e.name) && !/\.(spec|int-spec|e2e-spec)\.ts$|test-helpers\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

/** String and template literals (outside comments), with the key they are the value of, if any. */
function literals(source: string): Array<{ text: string; line: number; key: string | null }> {
  const found: Array<{ text: string; line: number; key: string | null }> = [];
  const token = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g;
  for (let m = token.exec(source); m; m = token.exec(source)) {
    const text = m[1] ?? m[2] ?? m[3];
    if (text === undefined) continue; // a comment
    const before = source.slice(Math.max(0, m.index - 60), m.index);
    const key = /(\w+)\??\s*:\s*$/.exec(before)?.[1] ?? null;
    found.push({ text, line: source.slice(0, m.index).split('\n').length, key });
  }
  return found;
}

describe('Japanese server messages', () => {
  it.each([
    ['事業所名を入力してください。', 'sentence'],
    ['事業所名を入力してください', 'sentence-without-period'],
    ['労働保険番号は14桁の数字（2-1-2-6-3）で入力してください', 'sentence-without-period'],
    ['この手続は電子署名が必要です。設定で電子証明書を登録してください。 / This procedure must be signed.', 'sentence'],
    ['再提出が届いたか判断できません / Cannot tell', 'sentence-without-period'],
    ['到達', 'noun-phrase'],
    ['試行（形式チェックのみ・申請されていません）', 'noun-phrase'],
    ['This contract has been cancelled (ご契約は解約されています).', 'noun-phrase'],
  ] as const)('reads %s as %s', (literal, verdict) => {
    expect(classify(literal)).toBe(verdict);
  });

  it('end every sentence with 「。」 (headings and noun phrases excepted)', () => {
    const dirs = [
      ...fs
        .readdirSync(path.join(root, 'libs'))
        .map((lib) => path.join(root, 'libs', lib, 'src'))
        .filter((d) => fs.existsSync(d)),
      path.join(root, 'apps/api/src'),
    ];
    const offenders: string[] = [];
    let checked = 0;
    for (const file of dirs.flatMap(sourceFiles)) {
      for (const { text, line, key } of literals(fs.readFileSync(file, 'utf8'))) {
        if (!JAPANESE.test(text)) continue;
        checked++;
        if (isHeading(key, file) || /<\/?[a-z][^>]*>/i.test(text)) continue;
        if (classify(text) === 'sentence-without-period') offenders.push(`${path.relative(root, file)}:${line} ${text}`);
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(offenders).toEqual([]);
  });
});
