import { parseArgs, requireFlag, UsageError } from './args';

describe(parseArgs.name, () => {
  it('reads the command, valued flags, = flags and switches', () => {
    expect(parseArgs(['tenant:create', '--code', 'acme', '--name=ACME 株式会社', '--json'])).toEqual({
      command: 'tenant:create',
      flags: { code: 'acme', name: 'ACME 株式会社', json: true },
      positionals: [],
    });
  });

  it('requires named flags', () => {
    expect(() => requireFlag({ json: true }, 'code')).toThrow(UsageError);
    expect(() => requireFlag({ code: true }, 'code')).toThrow('--code is required');
  });
});
