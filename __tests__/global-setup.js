// One directory per test run where helpers.synthOf keeps the real environments' synthesized stacks, so
// test files share them instead of each synthesizing the same environment again. Workers inherit the
// variable; global-teardown.js removes the directory.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  process.env.TEST_SYNTH_CACHE = mkdtempSync(join(tmpdir(), 'test-synth-'));
};
