import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DeleteApplicationQuery } from './application.dto';

describe(DeleteApplicationQuery.name, () => {
  const parse = (query: Record<string, unknown>) => {
    const q = plainToInstance(DeleteApplicationQuery, query);
    return { version: q.version, errors: validateSync(q, { whitelist: true, forbidNonWhitelisted: true }).length };
  };

  it('takes a version given as digits', () => {
    expect(parse({ version: '3' })).toEqual({ version: 3, errors: 0 });
  });

  it.each([{}, { version: '' }, { version: 'abc' }, { version: '-1' }, { version: '1.5' }, { version: ['1', '2'] }])(
    'ignores %p (no version check), as the regex it replaced did',
    (query) => {
      expect(parse(query)).toEqual({ version: undefined, errors: 0 });
    },
  );
});
