import { createHash } from 'node:crypto';
import { checkPackage, minimalPdf, officialDocumentXml, parseXml, type PackageContext, type ReportItem } from './package';
import { testCertificate, unzip, validPackage, withdrawalPackage, zipOf } from './testing';

describe('minimalPdf', () => {
  const sut = minimalPdf('審査結果通知書 (テスト)', ['Arrive ID: 2026112600000001', 'a (paren) and \\ backslash', '日本語 is replaced']);
  const text = sut.toString('latin1');

  it('starts with a PDF header and ends with %%EOF', () => {
    expect(text.startsWith('%PDF-1.4\n')).toBe(true);
    expect(text.endsWith('%%EOF\n')).toBe(true);
  });

  it('has a cross-reference table whose offsets point at each object', () => {
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const xref = text.slice(startxref).split('\n');
    const [, count] = xref[1].split(' ').map(Number);
    expect(count).toBe(7);
    for (let i = 1; i < count; i++) {
      const entry = `${xref[2 + i]}\n`;
      expect(entry).toHaveLength(20); // each xref entry is exactly 20 bytes
      const offset = Number(entry.slice(0, 10));
      expect(text.slice(offset, offset + `${i} 0 obj`.length)).toBe(`${i} 0 obj`);
    }
    expect(text).toMatch(/trailer\n<< \/Size 7 \/Root 1 0 R \/Info 6 0 R >>/);
  });

  it('declares the exact length of the content stream', () => {
    const m = /<< \/Length (\d+) >>\nstream\n/.exec(text)!;
    const start = m.index + m[0].length;
    const end = text.indexOf('\nendstream', start);
    expect(end - start).toBe(Number(m[1]));
  });

  it('escapes PDF string delimiters and stores the title as UTF-16BE', () => {
    expect(text).toContain('(a \\(paren\\) and \\\\ backslash)');
    expect(text).toContain('(??? is replaced)');
    const hex = /\/Title <FEFF([0-9A-F]+)>/.exec(text)![1];
    const be = Buffer.from(hex, 'hex');
    for (let i = 0; i < be.length; i += 2) [be[i], be[i + 1]] = [be[i + 1], be[i]];
    expect(be.toString('utf16le')).toBe('審査結果通知書 (テスト)');
  });
});

describe('officialDocumentXml', () => {
  it('is well-formed and escapes what came from the client', () => {
    const xml = officialDocumentXml({
      arriveId: '2026112600000001',
      procId: 'a<b&c',
      noticeSubId: 3,
      docTitle: 't',
      issuedAt: '2026-11-26T00:00:00.000Z',
    });
    const parsed = parseXml(Buffer.from(xml));
    expect('root' in parsed && parsed.root.localName).toBe('公文書');
    expect(xml).toContain('<手続番号>a&lt;b&amp;c</手続番号>');
  });
});

describe('checkPackage (strict, real structure)', () => {
  const PROC = '4950013520714000';
  const FORM = '495013520714030511';
  const NOW = Date.now();
  const cases = new Map<string, { proc_id: string }>([['20261203000000001', { proc_id: PROC }]]);
  const ctx = (over: Partial<PackageContext> = {}): PackageContext => ({
    endpoint: 'apply',
    procId: PROC,
    requireSignature: false,
    now: NOW,
    findOwnCase: (id) => cases.get(id),
    ...over,
  });
  const contents = (r: { report: ReportItem[] }): string => r.report.map((x) => `${x.item}: ${x.content}`).join('\n');
  const rsa = testCertificate('rsa');

  it('accepts the real structure, unsigned (optional-gbiz), and reads the kousei', async () => {
    const sut = await checkPackage(await validPackage(PROC), ctx());
    expect(sut.report).toEqual([]);
    expect(sut.info).toMatchObject({
      procId: PROC,
      applyType: '新規申請',
      applicantName: '山田　太郎',
      signed: false,
      formNames: ['健康保険・厚生年金保険被保険者資格喪失届'],
    });
    expect(sut.info!.entries.sort()).toEqual([`${PROC}/${FORM}_01.xml`, `${PROC}/kousei.xml`]);
  });

  it('accepts the files at the ZIP root too', async () => {
    expect((await checkPackage(await validPackage(PROC, { folder: '' }), ctx())).report).toEqual([]);
  });

  it.each([
    ['手続ID ≠ proc_id', { kousei: (x: string) => x.replace(`<手続ID>${PROC}`, '<手続ID>4950013520733000') }, '手続ID'],
    [
      '申請書属性情報 様式ID of another form',
      { kousei: (x: string) => x.replace(`<申請書様式ID>${FORM}`, '<申請書様式ID>495013520733030526') },
      '申請書様式ID',
    ],
    [
      '申請書 DataRoot 様式ID of another form',
      { form: (x: string) => x.replace(`<様式ID>${FORM}`, '<様式ID>495013520733030526') },
      '様式ID',
    ],
    [
      '申請書 file name not {様式ID}_01.xml',
      { kousei: (x: string) => x.replace(`<申請書ファイル名称>${FORM}_01.xml`, '<申請書ファイル名称>form.xml') },
      '申請書ファイル名称',
    ],
    [
      'elements out of order (申請種別 before 初回受付番号)',
      { kousei: (x: string) => x.replace(/(<初回受付番号\/>)\n(<申請種別>新規申請<\/申請種別>)/, '$2\n$1') },
      '構成情報',
    ],
    ['構成情報 without ID', { kousei: (x: string) => x.replace('<構成情報 ID="構成情報">', '<構成情報>') }, '構成情報'],
    ['an unknown element in 構成情報', { kousei: (x: string) => x.replace('<通信欄/>', '<通信欄/><独自/>') }, '構成情報'],
    [
      'kousei 様式ID not 999000000000000001',
      { kousei: (x: string) => x.replace('<様式ID>999000000000000001', '<様式ID>999000000000000002') },
      '様式ID',
    ],
    ['申請種別 部分補正 on /apply', { applyType: '部分補正' as const, firstArriveId: '20261203000000001' }, '申請種別'],
    ['再提出 naming an unknown case', { applyType: '再提出' as const, firstArriveId: '20261203000000999' }, '初回受付番号'],
    [
      '新規申請 with a 初回受付番号',
      { kousei: (x: string) => x.replace('<初回受付番号/>', '<初回受付番号>20261203000000001</初回受付番号>') },
      '初回受付番号',
    ],
    ['a 申請書 missing from the ZIP', { afterSign: (f: Record<string, string | Buffer>) => ({ 'kousei.xml': f['kousei.xml'] }) }, '-'],
    ['a DOCTYPE', { form: (x: string) => x.replace('<DataRoot>', '<!DOCTYPE DataRoot [<!ENTITY a "b">]><DataRoot>') }, '-'],
  ])('refuses %s', async (_name, opts, item) => {
    const sut = await checkPackage(await validPackage(PROC, opts), ctx());
    expect(sut.info).toBeUndefined();
    expect(sut.report.length).toBeGreaterThan(0);
    expect(sut.report.map((r) => r.item)).toContain(item);
    for (const r of sut.report) expect(r.content.length).toBeGreaterThan(0);
  });

  it('refuses a package for another procedure than proc_id', async () => {
    const sut = await checkPackage(await validPackage('4950013520733000'), ctx());
    expect(contents(sut)).toMatch(/手続ID/);
  });

  it('refuses two kousei.xml, a file name without .zip, bad base64 and a truncated ZIP', async () => {
    const two = await zipOf({ 'a/kousei.xml': '<DataRoot/>', 'b/kousei.xml': '<DataRoot/>' });
    expect(contents(await checkPackage({ file_name: 'x.zip', file_data: two.toString('base64') }, ctx()))).toMatch(/複数/);
    const pkg = await validPackage(PROC);
    expect(contents(await checkPackage({ ...pkg, file_name: 'x.bin' }, ctx()))).toMatch(/\.zip/);
    expect(contents(await checkPackage({ ...pkg, file_data: '***' }, ctx()))).toMatch(/BASE64/);
    const truncated = Buffer.from(pkg.file_data, 'base64').subarray(0, 60).toString('base64');
    expect(contents(await checkPackage({ ...pkg, file_data: truncated }, ctx()))).toMatch(/ZIP/);
  });

  it('verifies a signature made with the test certificate (xml-crypto), signature placed right after 構成情報', async () => {
    const pkg = await validPackage(PROC, { sign: rsa, kousei: (x) => x });
    const sut = await checkPackage(pkg, ctx({ requireSignature: true }));
    expect(sut.report).toEqual([]);
    expect(sut.info!.signed).toBe(true);
    const files = await unzip(Buffer.from(pkg.file_data, 'base64'));
    const kousei = files.get(`${PROC}/kousei.xml`)!.toString();
    expect(kousei).toMatch(/<\/構成情報>\s*<署名情報><Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#" Id="\d{14}">/);
    expect(kousei).toContain(
      '<Reference URI="#構成情報"><Transforms><Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/></Transforms>',
    );
    expect(kousei).toContain(`<Reference URI="${FORM}_01.xml"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>`);
    expect(kousei).toContain('<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>');
  });

  it('computes the #構成情報 digest independently: SHA-256 of the C14N of the element (node:crypto check of xml-crypto)', async () => {
    const pkg = await validPackage(PROC, { sign: rsa });
    const kousei = (await unzip(Buffer.from(pkg.file_data, 'base64'))).get(`${PROC}/kousei.xml`)!.toString();
    const element = /<構成情報 ID="構成情報">[\s\S]*<\/構成情報>/.exec(kousei)![0];
    // The element has no namespaces, attributes in order and no empty-element tags in C14N: expand <x/> to <x></x>.
    const c14n = element.replace(/<([^\s/>]+)\/>/g, '<$1></$1>');
    const digest = createHash('sha256').update(c14n, 'utf8').digest('base64');
    expect(kousei).toContain(
      `<Reference URI="#構成情報"><Transforms><Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>${digest}</DigestValue>`,
    );
  });

  it.each([
    [
      'a changed 構成情報',
      (f: Record<string, string | Buffer>) => ({ ...f, 'kousei.xml': String(f['kousei.xml']).replace('山田　太郎', '山田　次郎') }),
      /ダイジェスト/,
    ],
    [
      'a changed 申請書',
      (f: Record<string, string | Buffer>) => ({ ...f, [`${FORM}_01.xml`]: String(f[`${FORM}_01.xml`]).replace('花子', '桜子') }),
      /ダイジェスト/,
    ],
    [
      'a changed SignatureValue',
      (f: Record<string, string | Buffer>) => ({
        ...f,
        'kousei.xml': String(f['kousei.xml']).replace(/<SignatureValue>(.)/, (_m, c: string) => `<SignatureValue>${c === 'A' ? 'B' : 'A'}`),
      }),
      /署名値/,
    ],
    [
      'a changed DigestMethod',
      (f: Record<string, string | Buffer>) => ({ ...f, 'kousei.xml': String(f['kousei.xml']).replace('xmlenc#sha256', 'xmldsig#sha1') }),
      /DigestMethod/,
    ],
  ])('refuses a signature that does not verify: %s', async (_name, afterSign, message) => {
    const sut = await checkPackage(await validPackage(PROC, { sign: rsa, afterSign }), ctx());
    expect(contents(sut)).toMatch(message);
    expect(sut.report.every((r) => r.item === '署名情報')).toBe(true);
  });

  it.each([
    ['an empty 署名情報', '<署名情報></署名情報>'],
    [
      'a Signature without SignedInfo',
      '<署名情報><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>AA==</SignatureValue></Signature></署名情報>',
    ],
    ['a Signature in no namespace', '<署名情報><Signature><SignedInfo/></Signature></署名情報>'],
    [
      'a certificate that is not one',
      '<署名情報><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/><SignatureValue>AA==</SignatureValue><KeyInfo><X509Data><X509Certificate>AAAA</X509Certificate></X509Data></KeyInfo></Signature></署名情報>',
    ],
  ])('refuses %s with a report (never a crash)', async (_name, signature) => {
    const pkg = await validPackage(PROC, { kousei: (x) => x.replace('</構成情報>', `</構成情報>${signature}`) });
    const sut = await checkPackage(pkg, ctx());
    expect(sut.info).toBeUndefined();
    expect(sut.report.some((r) => r.item === '署名情報')).toBe(true);
  });

  it('refuses an expired certificate and a non-RSA key', async () => {
    expect(contents(await checkPackage(await validPackage(PROC, { sign: testCertificate('expired') }), ctx()))).toMatch(/有効期間外/);
    expect(contents(await checkPackage(await validPackage(PROC, { sign: testCertificate('ec') }), ctx()))).toMatch(/RSA/);
  });

  it('refuses an unsigned package when signatures are required (requireSignature), accepts it otherwise', async () => {
    const pkg = await validPackage(PROC);
    expect(contents(await checkPackage(pkg, ctx({ requireSignature: true })))).toMatch(/電子署名が必要/);
    expect((await checkPackage(pkg, ctx())).report).toEqual([]);
  });

  it('checks a withdrawal package: kousei 9990000000000003 取下げ依頼 with 初回受付番号 = arrive_id, torisageirai.xml with 到達番号 and 理由', async () => {
    const w = ctx({ endpoint: 'withdraw', arriveId: '20261203000000001' });
    const good = await checkPackage(await withdrawalPackage('20261203000000001', { reason: '重複して提出したため' }), w);
    expect(good.report).toEqual([]);
    expect(good.info).toMatchObject({ procId: '9990000000000003', applyType: '取下げ依頼', withdrawalReason: '重複して提出したため' });
    expect(
      (await checkPackage(await withdrawalPackage('20261203000000001', { sign: rsa }), { ...w, requireSignature: true })).report,
    ).toEqual([]);
    expect(contents(await checkPackage(await withdrawalPackage('20261203000000001'), { ...w, requireSignature: true }))).toMatch(
      /電子署名が必要/,
    );
    expect(contents(await checkPackage(await withdrawalPackage('20261203000000001', { reason: '' }), w))).toMatch(/理由/);
    expect(contents(await checkPackage(await withdrawalPackage('20261203000000002', { firstArriveId: '20261203000000001' }), w))).toMatch(
      /到達番号/,
    );
    expect(contents(await checkPackage(await validPackage(PROC), w))).toMatch(/手続ID|申請種別/);
  });
});
