import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as semver from 'semver';

/**
 * README promises that the lowest Node.js of each supported line runs the product and its tests,
 * and `npm install` printed EBADENGINE warnings when a locked package wanted more (issue 18, item 9).
 * This walks every package in the lockfile and checks its `engines.node` against the lowest version
 * of each line that package.json's `engines` allows.
 */
describe('Node.js engines', () => {
  const root = join(__dirname, '..', '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
  };

  /** The lowest version of each `||` alternative: 20.19.0, 22.13.0, 24.11.0. */
  const lowest = pkg.engines.node.split('||').map((part) => semver.minVersion(part.trim())!.version);

  it('states the same lowest versions as README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(lowest).toEqual(['20.19.0', '22.13.0', '24.11.0']);
    expect(readme).toContain('Node.js 20.19+, 22.13+ or 24.11+');
  });

  it('has no locked package that refuses the lowest supported Node.js of a line', () => {
    const refusing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      if (!path || !range) continue;
      for (const version of lowest) {
        if (!semver.satisfies(version, range, { includePrerelease: true })) {
          refusing.push(`${path}@${entry.version ?? '?'} wants node ${range}, refuses ${version}`);
        }
      }
    }
    expect(refusing).toEqual([]);
  });
});
