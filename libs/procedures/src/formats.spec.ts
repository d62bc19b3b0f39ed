import { checkFormat, isValidMyNumber, myNumberCheckDigit } from './formats';

describe(myNumberCheckDigit.name, () => {
  it.each([
    // Σ = 1·2+0·3+9·4+8·5+7·6+6·7+5·2+4·3+3·4+2·5+1·6 = 212; 212 mod 11 = 3; 11 − 3 = 8
    ['12345678901', 8],
    // all ones: Σ = 2+3+4+5+6+7+2+3+4+5+6 = 47; 47 mod 11 = 3 → 8
    ['11111111111', 8],
    // P1 = 5: Σ = 10; 10 mod 11 = 10 → 1
    ['00000000005', 1],
    // P1 = 6: Σ = 12; remainder 1 → 0 (remainder ≤ 1 gives 0)
    ['00000000006', 0],
    // Σ = 0: remainder 0 → 0
    ['00000000000', 0],
    // P7 = 1 weighs 2 (n − 5), P6 = 1 weighs 7 (n + 1): Σ = 9 → 2
    ['00001100000', 2],
  ])('computes the check digit of %s as %d', (first11, check) => {
    expect(myNumberCheckDigit(first11)).toBe(check);
  });

  it('refuses anything but 11 digits', () => {
    expect(() => myNumberCheckDigit('1234567890')).toThrow(RangeError);
    expect(() => myNumberCheckDigit('1234567890a')).toThrow(RangeError);
  });
});

describe(isValidMyNumber.name, () => {
  it('accepts a number with the right check digit', () => {
    expect(isValidMyNumber('123456789018')).toBe(true);
    expect(isValidMyNumber('000000000060')).toBe(true);
  });

  it.each(['123456789012', '000000000061', '12345678901', '1234567890188', '１２３４５６７８９０１８', '1234-5678-9018'])(
    'refuses %s',
    (v) => {
      expect(isValidMyNumber(v)).toBe(false);
    },
  );
});

describe(checkFormat.name, () => {
  it.each([
    ['katakana', 'ヤマダ'],
    ['katakana', 'ヴァン　デル　ワールス'],
    ['katakana', 'ローレン'],
    ['kanji-name', '山田'],
    ['kanji-name', '𠮷野'],
    ['kanji-name', 'ｍａｒｙ'],
    ['digits', '000123'],
    ['my-number', '123456789018'],
    ['basic-pension-number', '1234-567890'],
    ['basic-pension-number', '1234567890'],
    ['employment-insured-number', '1234-567890-1'],
    ['employment-insured-number', '12345678901'],
    ['postal-code', '100-0001'],
    ['postal-code', '1000001'],
    ['phone', '03-1234-5678'],
    ['phone', '09012345678'],
  ] as const)('accepts a %s value %s', (format, value) => {
    expect(checkFormat(format, value)).toBeNull();
  });

  it.each([
    ['katakana', 'やまだ', 'not_katakana'],
    ['katakana', '山田', 'not_katakana'],
    ['katakana', 'ﾔﾏﾀﾞ', 'not_katakana'],
    ['katakana', 'ヤマダ タロウ', 'not_katakana'],
    ['katakana', 'ヤマダ・タロウ', 'not_katakana'],
    ['kanji-name', 'Yamada', 'not_full_width'],
    ['kanji-name', '山田 ', 'not_full_width'],
    ['kanji-name', 'ﾔﾏﾀﾞ', 'not_full_width'],
    ['digits', '12a', 'not_digits'],
    ['digits', '１２', 'not_digits'],
    ['my-number', '12345678901', 'my_number_length'],
    ['my-number', '123456789012', 'my_number_check_digit'],
    ['basic-pension-number', '123-456789', 'basic_pension_number_format'],
    ['basic-pension-number', '1234-56789', 'basic_pension_number_format'],
    ['basic-pension-number', '1234--567890', 'basic_pension_number_format'],
    ['employment-insured-number', '1234-56789-1', 'employment_insured_number_format'],
    ['postal-code', '100-001', 'postal_code_format'],
    ['phone', '3-1234-5678', 'phone_format'],
    ['phone', '03-1234-56789', 'phone_format'],
  ] as const)('refuses a %s value %s with %s', (format, value, code) => {
    expect(checkFormat(format, value)).toBe(code);
  });
});
