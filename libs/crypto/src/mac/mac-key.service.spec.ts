import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AppConfig } from '@charlotte/core';
import { MacKeyService } from './mac-key.service';

describe('MacKeyService', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-mac-'));
  const make = (over: Partial<AppConfig> = {}) => {
    const s = new MacKeyService({ dataDir: dir, macKeyFile: undefined, ...over } as AppConfig);
    s.onModuleInit();
    return s;
  };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates a 32-byte key file with 0600 once, and reuses it', () => {
    const a = make();
    const file = path.join(dir, 'keys', 'mac.key');
    expect(fs.statSync(file).size).toBe(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const b = make();
    expect(b.tag('p', 'data')).toBe(a.tag('p', 'data'));
  });

  it('checks its own tags and refuses changed data, another purpose, or a changed tag', () => {
    const m = make();
    const tag = m.tag('relay', 'tenant|id', 16);
    expect(tag).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(m.check('relay', 'tenant|id', tag, 16)).toBe(true);
    expect(m.check('relay', 'tenant|id2', tag, 16)).toBe(false);
    expect(m.check('other', 'tenant|id', tag, 16)).toBe(false);
    expect(m.check('relay', 'tenant|id', `${tag.slice(0, -1)}${tag.endsWith('A') ? 'B' : 'A'}`, 16)).toBe(false);
    expect(m.check('relay', 'tenant|id', '', 16)).toBe(false);
  });

  it('refuses a key file of the wrong size', () => {
    const bad = path.join(dir, 'short.key');
    fs.writeFileSync(bad, Buffer.alloc(5));
    expect(() => make({ macKeyFile: bad })).toThrow(/exactly 32 bytes/);
  });
});
