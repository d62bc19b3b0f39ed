import { ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { createValidationPipe } from './validation';
import { ValidationFailedError } from './domain-error';

class InnerDto {
  @IsOptional()
  @IsString()
  @Length(1, 5)
  name?: string;
}

class SampleDto {
  @IsString()
  @Length(1, 10)
  title: string;

  @Matches(/^https:/, { message: 'url must be https', context: { code: 'https_url' } })
  url: string;

  @Matches(/^x$/, { message: 'bare pattern' })
  bare: string;

  @IsArray()
  @ArrayMinSize(1)
  @MaxLength(3, { each: true })
  tags: string[];

  @IsIn(['a', 'b'])
  kind: string;

  @ValidateNested()
  @Type(() => InnerDto)
  inner: InnerDto;
}

async function errorsOf(body: Record<string, unknown>) {
  try {
    await createValidationPipe().transform(body, { type: 'body', metatype: SampleDto, data: '' });
  } catch (e) {
    if (e instanceof ValidationFailedError) return e.errors ?? [];
    throw e;
  }
  throw new Error('expected a validation failure');
}

const VALID = { title: 't', url: 'https://x', bare: 'x', tags: ['a'], kind: 'a', inner: {} };

describe(createValidationPipe.name, () => {
  it('codes a Length rule by the end that was missed, with its parameter', async () => {
    expect(await errorsOf({ ...VALID, title: '' })).toEqual([
      { field: 'title', code: 'too_short', params: { min: 1 }, message: 'title must be longer than or equal to 1 characters' },
    ]);
    expect(await errorsOf({ ...VALID, title: 'x'.repeat(11) })).toEqual([
      { field: 'title', code: 'too_long', params: { max: 10 }, message: 'title must be shorter than or equal to 10 characters' },
    ]);
  });

  it('reports a missing field as required, not as its type rule', async () => {
    const { title: _omit, ...rest } = VALID;
    const errors = await errorsOf(rest);
    expect(errors.map((e) => [e.field, e.code])).toEqual([['title', 'required']]);
  });

  it('takes the code of a pattern from its context, and falls back to invalid_format', async () => {
    const errors = await errorsOf({ ...VALID, url: 'http://x', bare: 'y' });
    expect(errors).toEqual([
      { field: 'url', code: 'https_url', message: 'url must be https' },
      { field: 'bare', code: 'invalid_format', message: 'bare pattern' },
    ]);
  });

  it('codes array, list and nested rules, and unknown fields', async () => {
    const errors = await errorsOf({ ...VALID, tags: [], kind: 'c', inner: { name: 'toolong' }, extra: 1 });
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'tags', code: 'too_few_items', params: { min: 1 } }),
        expect.objectContaining({ field: 'kind', code: 'not_in_list', params: { allowed: 'a, b' } }),
        expect.objectContaining({ field: 'inner.name', code: 'too_long', params: { max: 5 } }),
        expect.objectContaining({ field: 'extra', code: 'unknown_field' }),
      ]),
    );
    const each = await errorsOf({ ...VALID, tags: ['ok', 'toolong'] });
    expect(each).toEqual([expect.objectContaining({ field: 'tags', code: 'too_long', params: { max: 3 } })]);
  });

  it('never puts the value sent or the DTO into the answer', async () => {
    const errors = await errorsOf({ ...VALID, title: 'secret-value-123' });
    expect(JSON.stringify(errors)).not.toContain('secret-value-123');
    expect(errors.every((e) => Object.keys(e).every((k) => ['field', 'code', 'params', 'message'].includes(k)))).toBe(true);
  });
});
