/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Test files are independent synths: use every core (jest's default leaves one idle).
  maxWorkers: '100%',
  roots: ['<rootDir>/__tests__'],
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
