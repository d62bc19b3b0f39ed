/**
 * Runs the simulator's own tests on their own: `npx jest -c apps/egov-sim/jest.config.js`.
 * No database, so no globalSetup. Same transform as the root config (transpile only;
 * type checking is `npx tsc -p apps/egov-sim/tsconfig.json`).
 */
const path = require('node:path');

module.exports = {
  rootDir: path.resolve(__dirname, '../..'),
  displayName: 'sim',
  testMatch: ['<rootDir>/apps/egov-sim/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
};
