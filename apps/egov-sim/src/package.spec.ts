import { checkPackage, minimalPdf, officialDocumentXml, parseXml } from './package';
import { kouseiXml, validPackage, zipOf } from './testing';

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

describe('checkPackage', () => {
  it('accepts a valid package', async () => {
    const pkg = await validPackage('P1');
    const sut = await checkPackage('P1', pkg);
    expect(sut.report).toEqual([]);
    expect(sut.entries!.sort()).toEqual(['apply/form.xml', 'apply/kousei.xml']);
  });

  it('refuses two kousei.xml', async () => {
    const zip = await zipOf({ 'a/kousei.xml': kouseiXml('P1'), 'b/kousei.xml': kouseiXml('P1'), 'form.xml': '<f/>' });
    const sut = await checkPackage('P1', { file_name: 'x.zip', file_data: zip.toString('base64') });
    expect(sut.report).toEqual([{ item: 'kousei.xml', message: expect.stringContaining('複数') }]);
  });

  it('finds 手続番号 in a namespace and refuses a second, different one', async () => {
    const kousei = '<k:構成情報 xmlns:k="urn:x"><k:手続番号>P1</k:手続番号><k:手続番号>P2</k:手続番号></k:構成情報>';
    const zip = await zipOf({ 'kousei.xml': kousei, 'form.xml': '<f/>' });
    const sut = await checkPackage('P1', { file_name: 'x.zip', file_data: zip.toString('base64') });
    expect(sut.report.map((r) => r.item)).toEqual(['kousei.xml/手続番号']);
  });

  it('refuses a ZIP whose data was truncated', async () => {
    const zip = (await validPackage('P1')).file_data;
    const truncated = Buffer.from(zip, 'base64').subarray(0, 60).toString('base64');
    const sut = await checkPackage('P1', { file_name: 'x.zip', file_data: truncated });
    expect(sut.report).toEqual([{ item: 'send_file.file_data', message: expect.stringContaining('ZIP') }]);
  });
});
