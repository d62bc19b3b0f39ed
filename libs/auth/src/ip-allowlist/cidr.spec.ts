import { addressAllowed, allowListOf, parseCidr } from './cidr';

describe('parseCidr', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['203.0.113.7/24', '203.0.113.0/24'],
    [' 198.51.100.9 ', '198.51.100.9/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['2001:DB8:1:2::5/32', '2001:db8::/32'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['::1', '::1/128'],
    ['::/0', '::/0'],
    ['1:2:3:4:5:6:7:8/127', '1:2:3:4:5:6:7:8/127'],
    ['1:2:3:4:5:6:7:9/127', '1:2:3:4:5:6:7:8/127'],
    ['::ffff:203.0.113.9/120', '::ffff:203.0.113.0/120'],
    ['64:ff9b::192.0.2.33/96', '64:ff9b::/96'],
    ['fe80::1:2/65', 'fe80::/65'],
  ])('canonicalises %s as %s', (input, text) => {
    const c = parseCidr(input);
    expect(typeof c === 'string' ? c : c.text).toBe(text);
  });

  it.each([
    ['abc', 'not_an_address'],
    ['', 'not_an_address'],
    ['203.0.113.256/24', 'not_an_address'],
    ['203.0.113.0/', 'bad_prefix'],
    ['203.0.113.0/33', 'bad_prefix'],
    ['203.0.113.0/024', 'bad_prefix'],
    ['203.0.113.0/-1', 'bad_prefix'],
    ['2001:db8::/129', 'bad_prefix'],
    ['fe80::1%eth0/64', 'not_an_address'],
    ['203.0.113.0/24/8', 'bad_prefix'],
    ['example.com/24', 'not_an_address'],
  ])('refuses %s (%s)', (input, problem) => {
    expect(parseCidr(input)).toBe(problem);
  });
});

describe('addressAllowed', () => {
  const list = allowListOf(['203.0.113.0/24', '2001:db8::/32', '127.0.0.1/32']);

  it.each([
    ['203.0.113.5', true],
    // How Node reports an IPv4 client of a dual-stack (::) listener.
    ['::ffff:203.0.113.5', true],
    ['::ffff:127.0.0.1', true],
    ['2001:db8:ffff::9', true],
    ['203.0.114.1', false],
    ['::ffff:203.0.114.1', false],
    ['2001:db9::1', false],
    ['::1', false],
    ['garbage', false],
    ['', false],
  ])('%s → %s', (ip, allowed) => {
    expect(addressAllowed(list, ip)).toBe(allowed);
  });

  it('matches an IPv4 client against an IPv4-mapped IPv6 entry', () => {
    expect(addressAllowed(allowListOf(['::ffff:10.0.0.0/104']), '10.20.30.40')).toBe(true);
    expect(addressAllowed(allowListOf(['::ffff:10.0.0.0/104']), '11.0.0.1')).toBe(false);
  });

  it('allows nothing with an empty list and no one without an address', () => {
    expect(addressAllowed(allowListOf([]), '203.0.113.5')).toBe(false);
    expect(addressAllowed(list, undefined)).toBe(false);
  });
});
