// One ESLint configuration for the whole repository (flat config):
// typescript-eslint for the backend, eslint-plugin-vue for the SPA, Prettier for layout.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import prettier from 'eslint-config-prettier';

/**
 * The dependency graph of our libs (docs/architecture.md): each lib may import only the libs listed
 * here, and only through their index (`@charlotte/<lib>`). One-way by construction: a lib never lists
 * one that lists it.
 */
export const LIB_DEPENDENCIES = {
  core: [],
  crypto: ['core'],
  audit: ['core', 'crypto'],
  auth: ['core', 'crypto', 'audit'],
  procedures: ['core'],
  storage: ['core'],
  notifications: ['core', 'crypto', 'audit', 'auth'],
  applications: ['core', 'crypto', 'audit', 'procedures', 'storage', 'notifications'],
  filing: ['core', 'crypto', 'audit', 'procedures', 'storage', 'applications', 'notifications'],
  backup: ['core', 'crypto', 'audit', 'storage', 'notifications'],
  // The homes (tenant dashboard, operator overview): on top, it reads what every lib counts.
  dashboard: ['core', 'crypto', 'audit', 'auth', 'procedures', 'storage', 'notifications', 'applications', 'filing', 'backup'],
  webhooks: ['core', 'crypto', 'audit', 'auth', 'notifications', 'filing'],
  // 顧問先ポータル: portal users (auth) who see their client's applications (applications) and send 依頼.
  portal: ['core', 'crypto', 'audit', 'auth', 'notifications', 'procedures', 'storage', 'applications'],
};
const LIBS = Object.keys(LIB_DEPENDENCIES);
const TEST_FILES = ['**/*.spec.ts', '**/*.int-spec.ts'];

/** no-restricted-imports options for the files of `lib` (tests may also reach test/support and the app's schema). */
export function libImportRules(lib, { test = false } = {}) {
  const forbidden = LIBS.filter((l) => l !== lib && !LIB_DEPENDENCIES[lib].includes(l));
  const patterns = [
    { group: ['@charlotte/*/**'], message: "Import another lib only through its index ('@charlotte/<lib>'), never a file inside it." },
    {
      // A relative path into another lib's folder is a deep import that also dodges the graph.
      regex: `^(\\.\\./)+(libs/)?(${LIBS.filter((l) => l !== lib).join('|')})/src(/|$)`,
      message: "Import another lib only through '@charlotte/<lib>'.",
    },
  ];
  if (forbidden.length)
    patterns.push({
      regex: `^@charlotte/(${forbidden.join('|')})$`,
      message: `libs/${lib} may depend only on ${LIB_DEPENDENCIES[lib].join(', ') || 'no other lib'} (docs/architecture.md: the graph is one-way).`,
    });
  if (!test) patterns.push({ regex: '^(\\.\\./)+(apps|test)/', message: 'A lib never imports from apps/ or test/.' });
  return ['error', { patterns }];
}

const libBoundaries = LIBS.flatMap((lib) => [
  { files: [`libs/${lib}/src/**/*.ts`], rules: { 'no-restricted-imports': libImportRules(lib) } },
  {
    files: TEST_FILES.map((f) => `libs/${lib}/src/${f}`),
    rules: { 'no-restricted-imports': libImportRules(lib, { test: true }) },
  },
]);

export default tseslint.config(
  // test/fixtures/lint holds files that break the rules on purpose; lint-boundaries.spec.ts lints them itself.
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**', '**/*.d.ts', 'test/fixtures/lint/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
      // TypeScript checks identifiers itself (typescript-eslint's advice): no-undef only misfires on DOM/Node types.
      'no-undef': 'off',
      'vue/multi-word-component-names': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/*.browser-spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Plain Node scripts and tool configs are CommonJS.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...libBoundaries,
  prettier,
);
