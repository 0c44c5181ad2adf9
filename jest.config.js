/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Test files are independent synths: use every core (jest's default leaves one idle).
  maxWorkers: '100%',
  roots: ['<rootDir>/__tests__'],
  // Tests that drive processes (terraform stand-in, git, node) must not fail because a busy 2-core
  // machine is slow: jest's default 5 s per test is a timing assertion in disguise.
  testTimeout: 120_000,
  // Suites (each runs several `*.spec.ts` in one module registry: __tests__/suites/run-specs.ts) and
  // the files that are still one concept each.
  testMatch: ['**/*.test.ts'],
  // swc strips types only; `tsc --noEmit` (run first by `npm test`) does the type checking.
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  setupFilesAfterEnv: ['<rootDir>/__tests__/setup.js'],
  // A directory per run where the real environments' synthesized stacks are shared between test
  // files (helpers.synthOf): each environment is synthesized once, not once per file.
  globalSetup: '<rootDir>/__tests__/global-setup.js',
  globalTeardown: '<rootDir>/__tests__/global-teardown.js',
  moduleFileExtensions: ['ts', 'js', 'json'],
};
