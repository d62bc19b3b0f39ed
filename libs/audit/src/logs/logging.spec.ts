import { loggablePath } from './logging';

describe(loggablePath.name, () => {
  it('keeps harmless query parameters', () => {
    expect(loggablePath('/api/v1/users?limit=50&cursor=abc')).toBe('/api/v1/users?limit=50&cursor=abc');
  });

  it.each([
    ['/api/v1/x?token=secret123&limit=1', 'secret123'],
    ['/auth/callback?code=abc987&state=zzz111', 'abc987'],
    ['/api/v1/users?q=taro%40example.jp', 'taro'],
    ['/invite/AbCdEf0123456789xyz', 'AbCdEf0123456789xyz'],
  ])('redacts secrets in %s', (url, secret) => {
    expect(loggablePath(url)).not.toContain(secret);
  });
});
