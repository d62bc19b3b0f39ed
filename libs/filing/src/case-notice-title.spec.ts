import { caseNoticeTitle, caseNoticeType } from './case-notice-title';

describe(caseNoticeTitle.name, () => {
  it('keeps e-Gov’s plain titles as they are', () => {
    expect(caseNoticeTitle('補正のお願い', '補正')).toBe('補正のお願い');
    expect(caseNoticeTitle('公文書の発出について', 'お知らせ')).toBe('公文書の発出について');
    expect(caseNoticeTitle('取下げ依頼の受付について', '取下げ')).toBe('取下げ依頼の受付について');
  });

  it('drops 到達番号, 手続ID and placeholder ids with their labels and brackets', () => {
    expect(caseNoticeTitle('【到達番号：202604020000123456】補正のお願い', '補正')).toBe('補正のお願い');
    expect(caseNoticeTitle('補正のお願い（到達番号 202604020000123456）', '補正')).toBe('補正のお願い');
    expect(caseNoticeTitle('999X000000000001 申請内容の補正のお願い', '補正')).toBe('申請内容の補正のお願い');
    expect(caseNoticeTitle('手続ID:4950013521019000 公文書の発出について', 'お知らせ')).toBe('公文書の発出について');
    expect(caseNoticeTitle('shaho-shutoku 補正のお願い', '補正')).toBe('補正のお願い');
  });

  it('trims spaces, line breaks and control characters', () => {
    expect(caseNoticeTitle('  補正の\r\nお願い\u0000 ', '補正')).toBe('補正のお願い');
    expect(caseNoticeTitle('Notice\nabout a case', 'お知らせ')).toBe('Notice about a case');
    expect(caseNoticeTitle('\u3000取下げ依頼の受付について\u3000', '取下げ')).toBe('取下げ依頼の受付について');
  });

  it('falls back to a plain title for its type when nothing is left', () => {
    expect(caseNoticeTitle('202604020000123456', '補正')).toBe('補正のお願い');
    expect(caseNoticeTitle('', '取下げ')).toBe('取下げについて');
    expect(caseNoticeTitle(null, 'お知らせ')).toBe('e-Govからのお知らせ');
    expect(caseNoticeTitle(' ', '')).toBe('e-Govからのお知らせ');
  });

  it('leaves numbers that are no ids alone (dates, counts)', () => {
    expect(caseNoticeTitle('令和8年4月3日付 補正のお願い（2件）', '補正')).toBe('令和8年4月3日付 補正のお願い（2件）');
  });
});

describe(caseNoticeType.name, () => {
  it('shows e-Gov’s word, trimmed; a missing type or a bare code as お知らせ', () => {
    expect(caseNoticeType(' 補正 ')).toBe('補正');
    expect(caseNoticeType('取下げ')).toBe('取下げ');
    expect(caseNoticeType('')).toBe('お知らせ');
    expect(caseNoticeType(null)).toBe('お知らせ');
    expect(caseNoticeType('02')).toBe('お知らせ');
  });
});
