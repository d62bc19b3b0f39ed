import { DOMParser, onErrorStopParsing, type Document, type Element, type Node } from '@xmldom/xmldom';
import { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import * as yazl from 'yazl';
import { escapeXml } from './http';
import {
  APPLY_TYPE,
  findProcedure,
  KOUSEI_FILE_NAME,
  KOUSEI_FORM_ID,
  KOUSEI_FORM_ID_WITHDRAWAL,
  signaturePolicy,
  WITHDRAWAL_PROC_ID,
  type ApplyType,
} from './procedures';
import { PERSON_FIELDS } from './xml';
import { verifyKouseiSignature } from './xmldsig';

/**
 * One line of `report_list` in the spec's shape (components/schemas/report_list):
 * each member is "-" when the problem is not about a form, an attachment, a
 * file or an item.
 */
export interface ReportItem {
  form_name: string;
  attached_file_name: string;
  file_name: string;
  item: string;
  content: string;
}

function reportItem(content: string, where: Partial<Omit<ReportItem, 'content'>> = {}): ReportItem {
  return {
    form_name: (where.form_name || '-').slice(0, 128),
    attached_file_name: (where.attached_file_name || '-').slice(0, 256),
    file_name: (where.file_name || '-').slice(0, 256),
    item: (where.item || '-').slice(0, 256),
    content,
  };
}

/** What the kousei says, for the answers (POST /apply results, GET /apply/{arrive_id}). */
export interface PackageInfo {
  procId: string;
  applyType: ApplyType;
  firstArriveId: string;
  procName: string;
  applicantName: string;
  corporationName: string;
  submissionDestination: string;
  formNames: string[];
  attachmentNames: string[];
  fileName: string;
  size: number;
  entries: string[];
  signed: boolean;
  /** 取下げ依頼情報/理由 (withdrawal packages). */
  withdrawalReason?: string;
  /** The text of the 申請書 XMLs, whitespace collapsed and capped: what a 公文書 about the filing restates. */
  formText: string;
}

export interface CheckedPackage {
  report: ReportItem[];
  info?: PackageInfo;
}

/** Which endpoint the package came to: decides the 申請種別 allowed and the 手続ID expected. */
export type PackageEndpoint = 'apply' | 'check' | 'amend' | 'withdraw';

export interface PackageContext {
  endpoint: PackageEndpoint;
  /** apply/check: body.proc_id; amend: the case's proc_id; withdraw: ignored (9990000000000003). */
  procId: string;
  /** amend/withdraw: body.arrive_id, which 初回受付番号 must equal. */
  arriveId?: string;
  /** The simulator option: every procedure needs a signature. */
  requireSignature: boolean;
  now: number;
  /** A case of the calling account by arrive_id (undefined when unknown or another account's). */
  findOwnCase(arriveId: string): { proc_id: string } | undefined;
}

/** How much of the form's text a 公文書 restates. */
const FORM_TEXT_MAX = 2000;

/**
 * Limits for what a client sends. They keep a malicious or broken ZIP (zip
 * bomb, thousands of entries) from exhausting the simulator's memory; the
 * real e-Gov has its own, lower, per-procedure limits.
 */
export const PACKAGE_LIMITS = {
  maxZipBytes: 20 * 1024 * 1024,
  maxEntries: 500,
  maxFileBytes: 10 * 1024 * 1024,
  maxTotalUncompressed: 100 * 1024 * 1024,
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Expected children of an element, in order: [name, min, max]. */
type Shape = Array<[string, number, number]>;

const KOUSEI_ROOT: Shape = [
  ['様式ID', 1, 1],
  ['様式バージョン', 1, 1],
  ['STYLESHEET', 1, 1],
  ['構成情報', 1, 1],
  ['署名情報', 0, 1],
  ['その他', 0, 1],
];
const KOUSEI_INFO: Shape = [
  ['管理情報', 1, 1],
  ['添付書類属性情報', 0, 999],
  ['手数料情報', 1, 1],
  ['通信欄', 1, 1],
  ['府省照会情報', 1, 1],
  ['提出先情報', 1, 1],
  ['申請書属性情報', 1, 99],
];
const KANRI: Shape = [
  ['手続番号', 1, 1],
  ['手続名称', 1, 1],
  ['初回受付番号', 1, 1],
  ['申請種別', 1, 1],
  ['申請者連絡先情報', 1, 1],
];
const TETSUZUKI_BANGOU: Shape = [
  ['受付行政機関ID', 1, 1],
  ['手続ID', 1, 1],
];
const RENRAKUSAKI: Shape = [
  ['申請者情報', 1, 1],
  ['連絡先情報', 1, 1],
  ['委任登録票添付情報', 1, 1],
];
const PERSON: Shape = PERSON_FIELDS.map((f) => [f, 1, 1]);
const TEISHUTSUSAKI: Shape = [
  ['提出先識別子', 1, 1],
  ['提出先名称', 1, 1],
];
const SHINSEISHO_ZOKUSEI: Shape = [
  ['申請書様式ID', 1, 1],
  ['申請書様式バージョン', 1, 1],
  ['申請書様式名称', 1, 1],
  ['申請書ファイル名称', 1, 1],
];
const FORM_ROOT: Shape = [
  ['様式ID', 1, 1],
  ['様式バージョン', 1, 1],
  ['STYLESHEET', 1, 1],
  ['様式コピー情報', 1, 1],
  ['Doctype', 1, 1],
];
const TORISAGE_ROOT: Shape = [
  ['様式ID', 1, 1],
  ['様式バージョン', 1, 1],
  ['STYLESHEET', 1, 1],
  ['取下げ依頼情報', 1, 1],
];
const TORISAGE_INFO: Shape = [
  ['到達番号', 1, 1],
  ['手続名称', 1, 1],
  ['申請者氏名', 1, 1],
  ['依頼年月日', 1, 1],
  ['理由', 1, 1],
];
const YMD: Shape = [
  ['年', 1, 1],
  ['月', 1, 1],
  ['日', 1, 1],
];

export function childElements(parent: Element): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

/** Checks the children of `el` against `shape` (names and order); returns problems (Japanese). */
function shapeProblems(el: Element, shape: Shape, path: string, allowTrailing = false): string[] {
  const kids = childElements(el);
  let i = 0;
  for (const [name, min, max] of shape) {
    let n = 0;
    while (i < kids.length && kids[i].tagName === name && n < max) {
      i += 1;
      n += 1;
    }
    if (n < min) {
      const found = kids[i]?.tagName;
      return [`${path} に ${name} がありません${found ? `（${found} が先に現れています）` : ''}。要素の名前と順序を確認してください。`];
    }
  }
  if (!allowTrailing && i < kids.length) return [`${path} に想定外の要素 ${kids[i].tagName} があります。`];
  return [];
}

function child(el: Element | undefined, name: string): Element | undefined {
  return el ? childElements(el).find((c) => c.tagName === name) : undefined;
}

function text(el: Element | undefined): string {
  return (el?.textContent ?? '').trim();
}

/** The text of every leaf element, separated by spaces (textContent would run 年 and 月 together). */
function leafTexts(el: Element | undefined): string {
  if (!el) return '';
  const kids = childElements(el);
  if (kids.length === 0) return text(el);
  return kids.map(leafTexts).filter(Boolean).join(' ');
}

function dirname(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? '' : name.slice(0, i + 1);
}

/**
 * Checks `send_file` for POST /apply, /apply/check, /apply/amend and
 * /apply/withdraw as strictly as the real service: a base64 ZIP with one
 * kousei.xml in the real structure, its 手続ID and 申請種別 consistent with the
 * endpoint, each 申請書 present with the procedure's 様式ID (DataRoot, file name
 * and 申請書属性情報), 初回受付番号 naming a case of this account where required,
 * and the XML signature verified when present (required when the procedure's
 * policy says so). Returns every problem found (empty report = accepted).
 */
export async function checkPackage(sendFile: { file_name: string; file_data: string }, ctx: PackageContext): Promise<CheckedPackage> {
  const report: ReportItem[] = [];
  const fileName = sendFile.file_name;
  if (!/\.zip$/i.test(fileName))
    report.push(reportItem('ファイル名は拡張子「.zip」を含めて指定してください。', { item: 'send_file.file_name' }));
  // Buffer.from(…, 'base64') silently skips invalid characters: check the alphabet first.
  if (!BASE64.test(sendFile.file_data)) {
    report.push(reportItem('file_data が BASE64 として正しくありません。', { item: 'send_file.file_data' }));
    return { report };
  }
  const zip = Buffer.from(sendFile.file_data, 'base64');
  if (zip.length > PACKAGE_LIMITS.maxZipBytes) {
    report.push(reportItem(`申請データが大きすぎます（上限 ${PACKAGE_LIMITS.maxZipBytes} バイト）。`, { item: 'send_file.file_data' }));
    return { report };
  }
  const read = await readZip(zip);
  if ('error' in read) {
    report.push(reportItem(read.error, { file_name: fileName }));
    return { report };
  }
  const files = read.files;
  const names = [...files.keys()];
  const kouseiNames = names.filter((n) => basename(n) === KOUSEI_FILE_NAME);
  if (kouseiNames.length !== 1) {
    report.push(
      reportItem(kouseiNames.length === 0 ? '構成管理XML（kousei.xml）がありません。' : 'kousei.xml が複数あります。', {
        file_name: KOUSEI_FILE_NAME,
      }),
    );
    return { report };
  }
  const folder = dirname(kouseiNames[0]);
  const outside = names.filter((n) => dirname(n) !== folder);
  if (outside.length > 0 || folder.split('/').length > 2) {
    report.push(
      reportItem('申請データのファイルは kousei.xml と同じフォルダ（ZIP の直下または 1 つのフォルダ）に置いてください。', {
        file_name: outside[0] ?? kouseiNames[0],
      }),
    );
  }
  const inFolder = (name: string): Buffer | undefined => files.get(folder + name);

  const kousei = parseXml(files.get(kouseiNames[0]) as Buffer);
  const K = (content: string, item = '-'): void => void report.push(reportItem(content, { file_name: KOUSEI_FILE_NAME, item }));
  if ('error' in kousei) {
    K(`XML が正しくありません: ${kousei.error}`);
    return { report };
  }
  const root = kousei.root;
  if (root.tagName !== 'DataRoot') {
    K('ルート要素は DataRoot にしてください。');
    return { report };
  }
  const structural = [
    ...shapeProblems(root, KOUSEI_ROOT, 'DataRoot'),
    ...shapeProblems(child(root, '構成情報') ?? root, KOUSEI_INFO, '構成情報'),
  ];
  const info = child(root, '構成情報');
  const kanri = child(info, '管理情報');
  if (kanri) structural.push(...shapeProblems(kanri, KANRI, '管理情報'));
  const bangou = child(kanri, '手続番号');
  if (bangou) structural.push(...shapeProblems(bangou, TETSUZUKI_BANGOU, '手続番号'));
  const renraku = child(kanri, '申請者連絡先情報');
  if (renraku) {
    structural.push(...shapeProblems(renraku, RENRAKUSAKI, '申請者連絡先情報'));
    for (const who of ['申請者情報', '連絡先情報']) {
      const p = child(renraku, who);
      if (p) structural.push(...shapeProblems(p, PERSON, who));
    }
  }
  const dest = child(info, '提出先情報');
  if (dest) structural.push(...shapeProblems(dest, TEISHUTSUSAKI, '提出先情報'));
  const formAttrs = info ? childElements(info).filter((e) => e.tagName === '申請書属性情報') : [];
  for (const a of formAttrs) structural.push(...shapeProblems(a, SHINSEISHO_ZOKUSEI, '申請書属性情報'));
  if (info && info.getAttribute('ID') !== '構成情報') structural.push('構成情報 要素には属性 ID="構成情報" が必要です。');
  for (const p of structural) K(p, '構成情報');
  if (structural.length > 0) return { report };

  const procIdInKousei = text(child(bangou, '手続ID'));
  const expectedProcId = ctx.endpoint === 'withdraw' ? WITHDRAWAL_PROC_ID : ctx.procId;
  const proc = findProcedure(expectedProcId);
  const kouseiFormId = text(child(root, '様式ID'));
  const okKouseiIds = expectedProcId === WITHDRAWAL_PROC_ID ? [KOUSEI_FORM_ID, KOUSEI_FORM_ID_WITHDRAWAL] : [KOUSEI_FORM_ID];
  if (!okKouseiIds.includes(kouseiFormId))
    K(`構成管理XMLの様式ID は ${okKouseiIds.join(' または ')} にしてください（${kouseiFormId}）。`, '様式ID');
  if (!proc) {
    report.push(reportItem(`手続識別子 ${expectedProcId} の手続はありません。`, { item: 'proc_id' }));
    return { report };
  }
  if (procIdInKousei !== proc.procId) K(`手続ID（${procIdInKousei}）が手続識別子（${proc.procId}）と一致しません。`, '手続ID');
  if (proc.agencyId && text(child(bangou, '受付行政機関ID')) !== proc.agencyId) {
    K(`受付行政機関ID は ${proc.agencyId} にしてください。`, '受付行政機関ID');
  }

  // 申請種別 consistent with the endpoint
  const applyType = text(child(kanri, '申請種別'));
  const allowed: Record<PackageEndpoint, string[]> = {
    apply: [APPLY_TYPE.new, APPLY_TYPE.resubmit],
    check: [APPLY_TYPE.new, APPLY_TYPE.resubmit, APPLY_TYPE.partialAmend],
    amend: [APPLY_TYPE.partialAmend],
    withdraw: [APPLY_TYPE.withdrawal],
  };
  if (!allowed[ctx.endpoint].includes(applyType)) {
    K(`申請種別「${applyType}」はこの API では使えません（${allowed[ctx.endpoint].join('、')}）。`, '申請種別');
  }
  const firstArriveId = text(child(kanri, '初回受付番号'));
  if (applyType === APPLY_TYPE.new) {
    if (firstArriveId) K('新規申請では初回受付番号を空にしてください。', '初回受付番号');
  } else if (allowed[ctx.endpoint].includes(applyType)) {
    const target = /^\d{16,18}$/.test(firstArriveId) ? ctx.findOwnCase(firstArriveId) : undefined;
    if (!target) K(`初回受付番号（${firstArriveId || '空'}）に該当する申請がありません。`, '初回受付番号');
    else if (ctx.arriveId !== undefined && firstArriveId !== ctx.arriveId)
      K(`初回受付番号は到達番号 ${ctx.arriveId} にしてください。`, '初回受付番号');
    else if (applyType === APPLY_TYPE.resubmit && target.proc_id !== proc.procId)
      K('再提出は初回の申請と同じ手続で行ってください。', '初回受付番号');
  }

  // 申請書: 申請書属性情報 ↔ file ↔ DataRoot 様式ID
  const formNames: string[] = [];
  let formText = '';
  let withdrawalReason: string | undefined;
  const signedCandidates: string[] = [];
  for (const a of formAttrs) {
    const formId = text(child(a, '申請書様式ID'));
    const formFile = text(child(a, '申請書ファイル名称'));
    const formName = text(child(a, '申請書様式名称'));
    const F = (content: string, item = '-'): void =>
      void report.push(reportItem(content, { form_name: formName || '-', file_name: formFile || '-', item }));
    formNames.push(formName || proc.formName);
    if (formId !== proc.formId) F(`申請書様式ID（${formId}）がこの手続の様式ID（${proc.formId}）と一致しません。`, '申請書様式ID');
    if (formFile !== proc.formFileName) F(`申請書ファイル名称は ${proc.formFileName} にしてください。`, '申請書ファイル名称');
    const bytes = inFolder(formFile);
    if (!bytes) {
      F(`申請書ファイル ${formFile} がありません。`);
      continue;
    }
    signedCandidates.push(formFile);
    const parsed = parseXml(bytes);
    if ('error' in parsed) {
      F(`XML が正しくありません: ${parsed.error}`);
      continue;
    }
    const formRoot = parsed.root;
    const isWithdrawal = proc.procId === WITHDRAWAL_PROC_ID;
    const problems =
      formRoot.tagName !== 'DataRoot'
        ? ['ルート要素は DataRoot にしてください。']
        : isWithdrawal
          ? shapeProblems(formRoot, TORISAGE_ROOT, 'DataRoot')
          : shapeProblems(formRoot, FORM_ROOT, 'DataRoot', true);
    if (!isWithdrawal && problems.length === 0 && childElements(formRoot).length !== FORM_ROOT.length + 1) {
      problems.push('DataRoot の Doctype の後には様式の要素を 1 つだけ置いてください。');
    }
    for (const p of problems) F(p);
    if (problems.length > 0) continue;
    const rootFormId = text(child(formRoot, '様式ID'));
    if (rootFormId !== proc.formId) F(`申請書の様式ID（${rootFormId}）がこの手続の様式ID（${proc.formId}）と一致しません。`, '様式ID');
    if (isWithdrawal) {
      const t = child(formRoot, '取下げ依頼情報') as Element;
      const tp = [...shapeProblems(t, TORISAGE_INFO, '取下げ依頼情報'), ...shapeProblems(child(t, '依頼年月日') ?? t, YMD, '依頼年月日')];
      for (const p of tp) F(p, '取下げ依頼情報');
      if (tp.length === 0) {
        const target = text(child(t, '到達番号'));
        if (ctx.arriveId !== undefined && target !== ctx.arriveId)
          F(`取下げ依頼情報の到達番号は ${ctx.arriveId} にしてください。`, '到達番号');
        withdrawalReason = text(child(t, '理由'));
        if (!withdrawalReason) F('取下げの理由を記入してください。', '理由');
      }
    } else {
      formText = `${formText} ${leafTexts(childElements(formRoot)[FORM_ROOT.length])}`.replace(/\s+/g, ' ').trim().slice(0, FORM_TEXT_MAX);
    }
  }

  // attachments (添付書類属性情報): names for apply_form, files signed when present
  const attachmentNames: string[] = [];
  for (const a of info ? childElements(info).filter((e) => e.tagName === '添付書類属性情報') : []) {
    const name = text(child(a, '添付書類名称'));
    const file = text(child(a, '添付書類ファイル名称'));
    if (name) attachmentNames.push(name);
    if (file && !inFolder(file))
      report.push(reportItem(`添付ファイル ${file} がありません。`, { attached_file_name: name || file, file_name: file }));
  }

  // signature
  const signatureInfo = child(root, '署名情報');
  const policy = signaturePolicy(proc, ctx.requireSignature);
  if (signatureInfo) {
    let check: ReturnType<typeof verifyKouseiSignature>;
    try {
      check = verifyKouseiSignature(kousei.doc, signatureInfo, inFolder, ctx.now);
    } catch {
      // A malformed signature must be the client's 400, never the simulator's 500.
      check = { ok: false, problems: ['署名情報を XML 署名として検証できません。'], signedFiles: [] };
    }
    for (const p of check.problems) K(p, '署名情報');
    for (const f of signedCandidates)
      if (check.ok && !check.signedFiles.includes(f)) K(`申請書 ${f} が署名の対象になっていません。`, '署名情報');
  } else if (policy === 'required') {
    K('この手続は電子署名が必要です（署名情報がありません）。', '署名情報');
  }

  if (report.length > 0) return { report };
  const applicant = child(renraku, '申請者情報');
  return {
    report,
    info: {
      procId: proc.procId,
      applyType: applyType as ApplyType,
      firstArriveId,
      procName: text(child(kanri, '手続名称')) || proc.procName,
      applicantName: text(child(applicant, '氏名')) || '-',
      corporationName: text(child(applicant, '法人団体名')) || '-',
      submissionDestination: text(child(dest, '提出先名称')) || proc.destinationName || '-',
      formNames,
      attachmentNames,
      fileName,
      size: zip.length,
      entries: names,
      signed: signatureInfo !== undefined,
      withdrawalReason,
      formText,
    },
  };
}

function basename(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** Reads the ZIP: every file's bytes (capped). */
async function readZip(zip: Buffer): Promise<{ files: Map<string, Buffer> } | { error: string }> {
  let file: yauzl.ZipFile;
  try {
    // strictFileNames refuses absolute paths, "..", backslashes: the names are shown back to users.
    file = await yauzl.fromBufferPromise(zip, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true });
  } catch (err) {
    return { error: `ZIP ファイルとして読み込めません（${(err as Error).message}）。` };
  }
  const files = new Map<string, Buffer>();
  let count = 0;
  let total = 0;
  try {
    for await (const entry of file.eachEntry()) {
      if (++count > PACKAGE_LIMITS.maxEntries) return { error: `ZIP のファイル数が多すぎます（上限 ${PACKAGE_LIMITS.maxEntries}）。` };
      if (entry.fileName.endsWith('/')) continue;
      if (files.has(entry.fileName)) return { error: `ZIP に同じ名前のファイルが重複しています: ${entry.fileName}` };
      if (entry.isEncrypted()) return { error: `暗号化された ZIP エントリは受け付けません: ${entry.fileName}` };
      total += entry.uncompressedSize;
      if (total > PACKAGE_LIMITS.maxTotalUncompressed) return { error: 'ZIP の展開後のサイズが大きすぎます。' };
      if (entry.uncompressedSize > PACKAGE_LIMITS.maxFileBytes) return { error: `ファイルが大きすぎます: ${entry.fileName}` };
      const stream = await file.openReadStreamPromise(entry);
      // validateEntrySizes makes the stream fail if the data is longer than the declared size.
      files.set(entry.fileName, await collect(stream));
    }
  } catch (err) {
    return { error: `ZIP ファイルが壊れています（${(err as Error).message}）。` };
  } finally {
    file.close();
  }
  if (files.size === 0) return { error: 'ZIP ファイルが空です。' };
  return { files };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Parses XML strictly. A DOCTYPE is refused outright: the packages never need
 * one, and it is how entity-expansion and external-entity attacks start.
 */
export function parseXml(content: Buffer): { root: Element; doc: Document } | { error: string } {
  const text = content.toString('utf8').replace(/^\uFEFF/, '');
  if (/<!DOCTYPE/i.test(text)) return { error: 'DOCTYPE は使用できません' };
  try {
    const doc = new DOMParser({ onError: onErrorStopParsing }).parseFromString(text, 'text/xml');
    if (!doc.documentElement) return { error: 'ルート要素がありません' };
    return { root: doc.documentElement, doc };
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0] };
  }
}

export function elementsByLocalName(root: Element, localName: string): Element[] {
  const out: Element[] = [];
  const walk = (node: Node): void => {
    if (node.nodeType === 1 && (node as Element).localName === localName) out.push(node as Element);
    for (let child = node.firstChild; child; child = child.nextSibling) walk(child);
  };
  walk(root);
  return out;
}

// ---------------------------------------------------------------------------
// Official documents (公文書)

export interface OfficialDocumentContent {
  arriveId: string;
  procId: string;
  noticeSubId: number;
  docTitle: string;
  issuedAt: string;
  /** The filing's form text (the last package received), restated as a real 通知書 lists the insured person. */
  formText?: string;
}

/** The ZIP e-Gov hands out for a 公文書: a PDF and its XML, base64 in JSON. */
export async function buildOfficialDocumentZip(doc: OfficialDocumentContent): Promise<{ zip: Buffer; names: string[] }> {
  const zip = new yazl.ZipFile();
  const stem = `kobunsho_${doc.arriveId}_${doc.noticeSubId}`;
  const mtime = new Date(doc.issuedAt);
  zip.addBuffer(
    minimalPdf(doc.docTitle, [
      'e-Gov simulator - official document (kobunsho)',
      `Arrive ID: ${doc.arriveId}`,
      `Procedure: ${doc.procId}`,
      `Issued: ${doc.issuedAt}`,
      'This document was generated by egov-sim and has no legal value.',
    ]),
    `${stem}.pdf`,
    { mtime },
  );
  zip.addBuffer(Buffer.from(officialDocumentXml(doc), 'utf8'), `${stem}.xml`, { mtime });
  zip.end();
  return { zip: await collect(Readable.from(zip.outputStream as AsyncIterable<Buffer>)), names: [`${stem}.pdf`, `${stem}.xml`] };
}

export function officialDocumentXml(doc: OfficialDocumentContent): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<公文書 xmlns="urn:egov-sim:kobunsho">',
    `  <到達番号>${escapeXml(doc.arriveId)}</到達番号>`,
    `  <手続番号>${escapeXml(doc.procId)}</手続番号>`,
    `  <通知サブ番号>${doc.noticeSubId}</通知サブ番号>`,
    `  <文書名>${escapeXml(doc.docTitle)}</文書名>`,
    `  <発出日時>${escapeXml(doc.issuedAt)}</発出日時>`,
    ...(doc.formText ? [`  <申請内容>${escapeXml(doc.formText)}</申請内容>`] : []),
    '  <本文>この公文書は e-Gov シミュレーターが発行したもので、法的効力はありません。</本文>',
    '</公文書>',
    '',
  ].join('\n');
}

/**
 * A minimal, valid one-page PDF 1.4 written by hand: catalog, pages, page,
 * content stream, Helvetica (a standard font, nothing embedded) and an Info
 * dictionary whose Title is UTF-16BE so it can be Japanese. The cross-reference
 * table gives the exact byte offset of each object, as readers require.
 * Page text is ASCII (the standard fonts have no Japanese glyphs).
 */
export function minimalPdf(title: string, lines: string[]): Buffer {
  const pdfString = (s: string): string => `(${s.replace(/[^\x20-\x7e]/g, '?').replace(/([\\()])/g, '\\$1')})`;
  const utf16Hex = (s: string): string => {
    const le = Buffer.from(s, 'utf16le');
    for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1], le[i]];
    return `<FEFF${le.toString('hex').toUpperCase()}>`;
  };
  const content = ['BT', '/F1 12 Tf', '16 TL', '72 770 Td', ...lines.map((line) => `${pdfString(line)} '`), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Title ${utf16Hex(title)} /Producer (egov-sim) >>`,
  ];
  // The second line is the customary binary comment that tells transfer tools the file is binary.
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0].length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const chunk = Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`, 'latin1');
    parts.push(chunk);
    offset += chunk.length;
  });
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
    'trailer',
    `<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>`,
    'startxref',
    String(offset),
    '%%EOF',
    '',
  ].join('\n');
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}
