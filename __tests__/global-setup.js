// One directory per test run for the real environments' synthesized stacks, which test files share
// instead of each synthesizing the same environment again (helpers.synthOf, helpers.sharedSynthDir).
// They are made by fixtures/shared-synth.ts in a process of its own, started here and not waited for:
// it runs while jest's workers start and load their modules; whoever needs the result first waits
// for its `ready` file. Workers inherit the variables; global-teardown.js stops it and removes the directory.
const { spawn } = require('node:child_process');
const { mkdtempSync, openSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'test-synth-'));
  process.env.TEST_SYNTH_CACHE = dir;
  const root = join(__dirname, '..');
  const child = spawn(process.execPath, ['-r', './scripts/ts-register.cjs', '__tests__/fixtures/shared-synth.ts', dir], {
    cwd: root,
    stdio: ['ignore', 'ignore', openSync(join(dir, 'shared-synth.log'), 'w')],
  });
  process.env.TEST_SYNTH_PID = String(child.pid);
  globalThis.sharedSynth = child;
};
