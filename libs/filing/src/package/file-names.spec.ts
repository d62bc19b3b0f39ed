import { isSafeFileName, MAX_FILE_NAME_LENGTH, safeFileName, uniqueSafeFileNames } from './file-names';

describe(safeFileName.name, () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\win.ini', 'win.ini'],
    ['C:\\Users\\me\\給与明細.pdf', '給与明細.pdf'],
    ['/absolute/path/x.pdf', 'x.pdf'],
    ['a/../b.pdf', 'b.pdf'],
    ['dir/', 'attachment'],
    ['..', 'attachment'],
    ['...', 'attachment'],
    ['', 'attachment'],
    ['.htaccess', 'htaccess'],
    ['a..b.pdf', 'a.b.pdf'],
    ['report.pdf. . ', 'report.pdf'],
    ['  spaced.pdf', 'spaced.pdf'],
    ['a<b>:c"d|e?f*.pdf', 'a_b__c_d_e_f_.pdf'],
    ['tab\there\u0000nul\u007f.pdf', 'tab_here_nul_.pdf'],
    ['invoice\u202Efdp.exe', 'invoice_fdp.exe'],
    ['CON.txt', '_CON.txt'],
    ['lpt1', '_lpt1'],
    ['雇用契約書（写し）.pdf', '雇用契約書（写し）.pdf'],
    ['𠮷野家の領収書.jpg', '𠮷野家の領収書.jpg'],
  ])('%j → %j', (input, expected) => {
    expect(safeFileName(input)).toBe(expected);
  });

  it('composes decomposed (NFD) Japanese names from macOS', () => {
    const nfd = 'カ\u3099イト\u3099.pdf'; // ガイド.pdf, decomposed
    expect(safeFileName(nfd)).toBe('ガイド.pdf');
    expect(safeFileName(nfd)).toHaveLength('ガイド.pdf'.length);
  });

  it(`cuts long names to ${MAX_FILE_NAME_LENGTH} code points, keeping the extension`, () => {
    const name = safeFileName(`${'長'.repeat(300)}.pdf`);
    expect(Array.from(name)).toHaveLength(MAX_FILE_NAME_LENGTH);
    expect(name.endsWith('長.pdf')).toBe(true);
    expect(Array.from(safeFileName(`${'𠮷'.repeat(300)}.pdf`))).toHaveLength(MAX_FILE_NAME_LENGTH);
  });

  it('gives names with no path separator, no "..", no control character', () => {
    for (const raw of ['../x/../../y', 'a\\..\\b', '....//....//etc', 'x\u0001y', '\u202e.exe']) {
      const safe = safeFileName(raw);
      expect(safe).not.toMatch(/[/\\]|\.\.|[\u0000-\u001f]/); // eslint-disable-line no-control-regex
      expect(isSafeFileName(safe)).toBe(true);
    }
  });
});

describe(uniqueSafeFileNames.name, () => {
  it('suffixes duplicates before the extension, ignoring case, in order', () => {
    expect(uniqueSafeFileNames(['a.pdf', 'a.pdf', 'A.PDF', 'a_2.pdf', 'b'])).toEqual(['a.pdf', 'a_2.pdf', 'A_3.PDF', 'a_2_2.pdf', 'b']);
  });

  it('keeps clear of reserved names (kousei.xml, the 申請書 files)', () => {
    expect(uniqueSafeFileNames(['kousei.xml', 'KOUSEI.XML', 'x/kousei.xml'], ['kousei.xml', 'shaho-shutoku_01.xml'])).toEqual([
      'kousei_2.xml',
      'KOUSEI_3.XML',
      'kousei_4.xml',
    ]);
  });

  it('dedupes names that only become equal once made safe', () => {
    expect(uniqueSafeFileNames(['2024/給与.pdf', '2025/給与.pdf', '給与.pdf'])).toEqual(['給与.pdf', '給与_2.pdf', '給与_3.pdf']);
  });

  it('keeps suffixed long names within the length limit', () => {
    const long = `${'長'.repeat(300)}.pdf`;
    const [first, second] = uniqueSafeFileNames([long, long]);
    expect(first).not.toBe(second);
    expect(Array.from(second).length).toBeLessThanOrEqual(MAX_FILE_NAME_LENGTH);
    expect(second.endsWith('_2.pdf')).toBe(true);
  });
});

describe(isSafeFileName.name, () => {
  it.each(['kousei.xml', '給与明細.pdf', 'signature.xml'])('accepts %j', (n) => expect(isSafeFileName(n)).toBe(true));
  it.each(['', '../x', 'a/b', 'a\\b', '.hidden', 'x..y', 'CON', 'a\u0000'])('refuses %j', (n) => expect(isSafeFileName(n)).toBe(false));
});
