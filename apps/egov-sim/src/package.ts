import { DOMParser, onErrorStopParsing, type Element, type Node } from '@xmldom/xmldom';
import { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import * as yazl from 'yazl';
import { escapeXml } from './http';

/** One line of the pre-check report (`report_list`). */
export interface ReportItem {
  item: string;
  message: string;
}

export interface CheckedPackage {
  report: ReportItem[];
  fileName?: string;
  size?: number;
  entries?: string[];
  /** The text of the form XMLs, whitespace collapsed and capped: what a 公文書 about the filing restates. */
  formText?: string;
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
  maxXmlBytes: 5 * 1024 * 1024,
  maxTotalUncompressed: 100 * 1024 * 1024,
};

const PROC_ID = /^[0-9A-Za-z_-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks `{proc_id, send_file: {file_name, file_data}}` the way POST /apply,
 * POST /apply/check and POST /apply/amend need it: a base64 ZIP holding one
 * kousei.xml whose 手続番号 equals proc_id, and at least one other XML (the
 * form); every XML must be well-formed. Returns every problem found (empty
 * report = accepted).
 */
export async function checkPackage(procId: unknown, sendFile: unknown): Promise<CheckedPackage> {
  const report: ReportItem[] = [];
  if (typeof procId !== 'string' || !PROC_ID.test(procId)) {
    report.push({ item: 'proc_id', message: '手続番号（proc_id）は 1〜64 文字の英数字で指定してください。' });
  }
  if (sendFile === null || typeof sendFile !== 'object' || Array.isArray(sendFile)) {
    report.push({ item: 'send_file', message: '申請データ（send_file）がありません。' });
    return { report };
  }
  const { file_name: fileName, file_data: fileData } = sendFile as Record<string, unknown>;
  if (typeof fileName !== 'string' || fileName.length === 0 || fileName.length > 255 || !/\.zip$/i.test(fileName)) {
    report.push({ item: 'send_file.file_name', message: 'ファイル名（file_name）は .zip で終わる 255 文字以内の名前にしてください。' });
  }
  if (typeof fileData !== 'string' || fileData.length === 0) {
    report.push({ item: 'send_file.file_data', message: '申請データ（file_data）がありません。' });
    return { report };
  }
  // Buffer.from(…, 'base64') silently skips invalid characters: check the alphabet first.
  if (!BASE64.test(fileData)) {
    report.push({ item: 'send_file.file_data', message: 'file_data が base64 として正しくありません。' });
    return { report };
  }
  const zip = Buffer.from(fileData, 'base64');
  if (zip.length > PACKAGE_LIMITS.maxZipBytes) {
    report.push({ item: 'send_file.file_data', message: `申請データが大きすぎます（上限 ${PACKAGE_LIMITS.maxZipBytes} バイト）。` });
    return { report };
  }
  const read = await readZip(zip);
  if ('error' in read) {
    report.push({ item: 'send_file.file_data', message: read.error });
    return { report, size: zip.length };
  }
  const names = [...read.xml.keys(), ...read.others];
  const kousei = [...read.xml.keys()].filter((name) => basename(name) === 'kousei.xml');
  if (kousei.length === 0) {
    report.push({ item: 'kousei.xml', message: '構成管理ファイル kousei.xml が含まれていません。' });
  } else if (kousei.length > 1) {
    report.push({ item: 'kousei.xml', message: 'kousei.xml が複数含まれています。' });
  }
  const forms = [...read.xml.keys()].filter((name) => basename(name) !== 'kousei.xml');
  if (forms.length === 0) {
    report.push({ item: '申請書', message: '申請書の XML ファイルが含まれていません。' });
  }
  let formText = '';
  for (const [name, content] of read.xml) {
    const parsed = parseXml(content);
    if ('error' in parsed) {
      report.push({ item: name, message: `XML が正しくありません: ${parsed.error}` });
      continue;
    }
    if (forms.includes(name)) formText = `${formText} ${parsed.root.textContent ?? ''}`.replace(/\s+/g, ' ').trim().slice(0, FORM_TEXT_MAX);
    if (kousei.length === 1 && name === kousei[0]) {
      const numbers = elementsByLocalName(parsed.root, '手続番号').map((el) => (el.textContent ?? '').trim());
      if (numbers.length === 0) {
        report.push({ item: `${name}/手続番号`, message: 'kousei.xml に手続番号がありません。' });
      } else if (typeof procId === 'string' && numbers.some((n) => n !== procId)) {
        report.push({
          item: `${name}/手続番号`,
          message: `kousei.xml の手続番号（${numbers.join(', ')}）が proc_id（${procId}）と一致しません。`,
        });
      }
    }
  }
  return { report, fileName: typeof fileName === 'string' ? fileName : undefined, size: zip.length, entries: names, formText };
}

function basename(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** Reads the ZIP: XML entries (content kept, capped) and the names of the others. */
async function readZip(zip: Buffer): Promise<{ xml: Map<string, Buffer>; others: string[] } | { error: string }> {
  let file: yauzl.ZipFile;
  try {
    // strictFileNames refuses absolute paths, "..", backslashes: the names are shown back to users.
    file = await yauzl.fromBufferPromise(zip, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true });
  } catch (err) {
    return { error: `ZIP ファイルとして読み込めません（${(err as Error).message}）。` };
  }
  const xml = new Map<string, Buffer>();
  const others: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  try {
    for await (const entry of file.eachEntry()) {
      if (seen.size >= PACKAGE_LIMITS.maxEntries) return { error: `ZIP のファイル数が多すぎます（上限 ${PACKAGE_LIMITS.maxEntries}）。` };
      if (entry.fileName.endsWith('/')) continue;
      if (seen.has(entry.fileName)) return { error: `ZIP に同じ名前のファイルが重複しています: ${entry.fileName}` };
      seen.add(entry.fileName);
      if (entry.isEncrypted()) return { error: `暗号化された ZIP エントリは受け付けません: ${entry.fileName}` };
      total += entry.uncompressedSize;
      if (total > PACKAGE_LIMITS.maxTotalUncompressed) return { error: 'ZIP の展開後のサイズが大きすぎます。' };
      if (!/\.xml$/i.test(entry.fileName)) {
        others.push(entry.fileName);
        continue;
      }
      if (entry.uncompressedSize > PACKAGE_LIMITS.maxXmlBytes) return { error: `XML ファイルが大きすぎます: ${entry.fileName}` };
      const stream = await file.openReadStreamPromise(entry);
      // validateEntrySizes makes the stream fail if the data is longer than the declared size.
      xml.set(entry.fileName, await collect(stream));
    }
  } catch (err) {
    return { error: `ZIP ファイルが壊れています（${(err as Error).message}）。` };
  } finally {
    file.close();
  }
  if (seen.size === 0) return { error: 'ZIP ファイルが空です。' };
  return { xml, others };
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
export function parseXml(content: Buffer): { root: Element } | { error: string } {
  const text = content.toString('utf8').replace(/^\uFEFF/, '');
  if (/<!DOCTYPE/i.test(text)) return { error: 'DOCTYPE は使用できません' };
  try {
    const doc = new DOMParser({ onError: onErrorStopParsing }).parseFromString(text, 'text/xml');
    if (!doc.documentElement) return { error: 'ルート要素がありません' };
    return { root: doc.documentElement };
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
export async function buildOfficialDocumentZip(doc: OfficialDocumentContent): Promise<Buffer> {
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
  return collect(Readable.from(zip.outputStream as AsyncIterable<Buffer>));
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
