import { documentTitle } from './document-title';

const SHUTOKU = '健康保険・厚生年金保険 被保険者資格取得届';

describe(documentTitle.name, () => {
  it('never shows a procedure id: the placeholder 999X… becomes the procedure’s Japanese name (issue 18 bug 7)', () => {
    expect(documentTitle('999X000000000001 審査結果通知書', SHUTOKU)).toBe(`${SHUTOKU} 審査結果通知書`);
    expect(documentTitle('4950013521019000 審査結果通知書', SHUTOKU)).toBe(`${SHUTOKU} 審査結果通知書`);
    expect(documentTitle('審査結果通知書 2026112600000001', SHUTOKU)).toBe(`${SHUTOKU} 審査結果通知書`);
    expect(documentTitle('審査結果通知書（2026112600000001）', SHUTOKU)).toBe(`${SHUTOKU} 審査結果通知書`);
    expect(documentTitle('shaho-shutoku 通知書', SHUTOKU)).toBe(`${SHUTOKU} 通知書`);
  });

  it('names the procedure when the title alone does not, and keeps a title that already does', () => {
    expect(documentTitle('審査結果通知書', SHUTOKU)).toBe(`${SHUTOKU} 審査結果通知書`);
    const egov = '健康保険・厚生年金保険被保険者資格取得届／厚生年金保険７０歳以上被用者該当届（2024年12月以降） 通知書';
    expect(documentTitle(egov, SHUTOKU)).toBe(egov);
  });

  it('falls back to 公文書 after the procedure name when nothing is left', () => {
    expect(documentTitle('999X000000000001', SHUTOKU)).toBe(`${SHUTOKU} 公文書`);
    expect(documentTitle(null, SHUTOKU)).toBe(`${SHUTOKU} 公文書`);
    expect(documentTitle('', '')).toBe('公文書');
  });

  it('leaves numbers that are no ids alone (dates, amounts)', () => {
    expect(documentTitle('令和8年12月1日付 標準報酬決定通知書', SHUTOKU)).toBe(`${SHUTOKU} 令和8年12月1日付 標準報酬決定通知書`);
  });
});
