/**
 * Four tiers (conventions.md): unit (*.spec.ts beside the code), integration
 * (*.int-spec.ts on a real PostgreSQL), e2e (test/e2e, the whole app over HTTP)
 * and browser (test/browser, the SPA in Debian's Chromium).
 * Type checking is done once by `npm run typecheck`; jest only transpiles.
 */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] };
const moduleNameMapper = {
  '^@charlotte/(core|auth|crypto|audit|procedures|storage|applications|filing|backup|notifications|dashboard|webhooks|portal)$':
    '<rootDir>/libs/$1/src',
};
const common = { rootDir: __dirname, transform, moduleNameMapper, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps/api,libs,bench}/**/*.spec.ts'] },
    { ...common, displayName: 'int', testMatch: ['<rootDir>/{apps/api,libs}/**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
    { ...common, displayName: 'sim', testMatch: ['<rootDir>/apps/egov-sim/**/*.spec.ts'] },
  ],
  testTimeout: 60000,
};
