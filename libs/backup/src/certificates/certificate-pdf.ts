import { readFile } from 'node:fs/promises';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, PDFFont, PDFPage, rgb } from 'pdf-lib';
import { BackupErrors } from '../errors';
import { DeletionCertificate } from './certificate';

/**
 * IPAex Gothic (Debian fonts-ipaexfont-gothic, installed by scripts/setup-system.sh). The IPA Font
 * License allows embedding in documents; the PDF carries a subset. CERTIFICATE_FONT_FILE
 * (config.certificateFontFile) names another TrueType/OpenType font with Japanese glyphs.
 */

/** 2026年12月03日 16:05:56 (JST) */
export function jstText(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(new Date(iso).getTime() + 9 * 3600_000).toISOString();
  return `${d.slice(0, 4)}年${d.slice(5, 7)}月${d.slice(8, 10)}日 ${d.slice(11, 19)} (JST)`;
}

const num = (n: number) => n.toLocaleString('ja-JP');

class Writer {
  page: PDFPage;
  y = 0;
  readonly margin = 42;
  constructor(
    private readonly doc: PDFDocument,
    private readonly font: PDFFont,
  ) {
    this.page = this.newPage();
  }
  private newPage(): PDFPage {
    const p = this.doc.addPage([595.28, 841.89]);
    this.y = 841.89 - this.margin;
    return p;
  }
  private ensure(h: number) {
    if (this.y - h < this.margin) this.page = this.newPage();
  }
  /** Lines broken to the width, character by character (Japanese has no spaces to break at). */
  wrap(text: string, size: number, width: number): string[] {
    const out: string[] = [];
    let line = '';
    for (const ch of text) {
      if (this.font.widthOfTextAtSize(line + ch, size) > width) {
        out.push(line);
        line = ch;
      } else line += ch;
    }
    if (line) out.push(line);
    return out;
  }
  text(text: string, size = 10, opts: { indent?: number; color?: [number, number, number]; gap?: number } = {}) {
    const x = this.margin + (opts.indent ?? 0);
    for (const l of this.wrap(text, size, 595.28 - this.margin - x)) {
      this.ensure(size * 1.5);
      this.y -= size * 1.5;
      this.page.drawText(l, { x, y: this.y, size, font: this.font, color: rgb(...(opts.color ?? [0, 0, 0])) });
    }
    this.y -= opts.gap ?? 0;
  }
  row(label: string, value: string, size = 10) {
    const labelWidth = 150;
    const lines = this.wrap(value, size, 595.28 - 2 * this.margin - labelWidth);
    lines.forEach((l, i) => {
      this.ensure(size * 1.5);
      this.y -= size * 1.5;
      if (i === 0) this.page.drawText(label, { x: this.margin, y: this.y, size, font: this.font, color: rgb(0.25, 0.25, 0.25) });
      this.page.drawText(l, { x: this.margin + labelWidth, y: this.y, size, font: this.font });
    });
  }
  /** Short items side by side in the value column (the per-table counts). */
  columns(items: string[], size: number) {
    this.ensure(size * 1.4);
    this.y -= size * 1.4;
    items.forEach((item, i) =>
      this.page.drawText(item, { x: this.margin + 150 + i * 172, y: this.y, size, font: this.font, color: rgb(0.2, 0.2, 0.2) }),
    );
  }
  rule() {
    this.ensure(12);
    this.y -= 6;
    this.page.drawLine({
      start: { x: this.margin, y: this.y },
      end: { x: 595.28 - this.margin, y: this.y },
      thickness: 0.5,
      color: rgb(0.6, 0.6, 0.6),
    });
    this.y -= 6;
  }
}

/** The Japanese rendering (消去証明書) of a signed certificate; the JSON stays the authoritative, verifiable form. */
export async function renderCertificatePdf(cert: DeletionCertificate, fontFile: string): Promise<Buffer> {
  let fontBytes: Buffer;
  try {
    fontBytes = await readFile(fontFile);
  } catch {
    throw BackupErrors.certificateFontMissing();
  }
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(fontBytes, { subset: true });
  doc.setTitle(`消去証明書 ${cert.tenant.code}`);
  doc.setSubject('Charlotte deletion certificate');
  doc.setProducer('Charlotte');
  doc.setCreationDate(new Date(cert.deletedAt));
  const w = new Writer(doc, font);

  w.text('消去証明書', 22, { gap: 2 });
  w.text('Deletion Certificate (Charlotte)', 11, { color: [0.35, 0.35, 0.35], gap: 6 });
  w.text(`下記のご契約のデータを、解約に基づき、復元できない方法で消去したことを証明します。`, 10.5, { gap: 4 });
  w.rule();
  w.text('ご契約', 13);
  w.row('契約名', cert.tenant.name);
  w.row('契約コード', cert.tenant.code);
  w.row('テナントID', cert.tenant.id);
  w.rule();
  w.text('日時', 13);
  w.row('解約日時（効力発生）', jstText(cert.cancelledAt));
  w.row('消去期限', jstText(cert.deletionDueAt));
  w.row('消去完了日時', jstText(cert.deletedAt));
  w.rule();
  w.text('消去したもの', 13);
  const rows = Object.entries(cert.deleted.rows).filter(([, n]) => n > 0);
  const totalRows = Object.values(cert.deleted.rows).reduce((a, b) => a + b, 0);
  w.row('データベースの行', `${num(totalRows)} 行（${Object.keys(cert.deleted.rows).length} テーブル）`);
  for (let i = 0; i < rows.length; i += 2)
    w.columns(
      rows.slice(i, i + 2).map(([t, n]) => `${t}: ${num(n)}`),
      8.5,
    );
  w.row('ファイル（添付・公文書）', `${num(cert.deleted.blobs)} 件、${num(cert.deleted.bytes)} バイト`);
  w.row('バックアップ', `主保管先 ${num(cert.deleted.backups.primary)} 世代、遠隔保管先 ${num(cert.deleted.backups.remote)} 世代`);
  w.row('データ暗号鍵', `${num(cert.deleted.keyVersions)} 世代を破棄`);
  w.rule();
  w.text('消去の方法', 13);
  // Japanese first, then English (the method is written "日本語 / English"); each as its own paragraph.
  for (const part of cert.method.split(' / ')) w.text(part, 9.5);
  w.rule();
  w.text('消去後の確認（残存数）', 13);
  w.row('データベースの行', num(cert.checks.rowsRemaining));
  w.row('ファイル', num(cert.checks.blobsRemaining));
  w.row('バックアップ', num(cert.checks.backupsRemaining));
  w.row('データ暗号鍵', num(cert.checks.keysRemaining));
  w.rule();
  w.text('電子署名', 13);
  w.row('証明書ID', cert.id);
  w.row('署名鍵ID (kid)', cert.keyId);
  w.row('署名 (Ed25519)', cert.signature, 8.5);
  w.text(
    'この証明書の正本は同じ内容の JSON ファイルです。公開鍵（/.well-known/charlotte-signing-key.json）だけで、オフラインで署名を検証できます（tools/verify-deletion-certificate.mjs、または npm run cli -- certificate:verify）。',
    8.5,
    { color: [0.3, 0.3, 0.3] },
  );
  return Buffer.from(await doc.save());
}
