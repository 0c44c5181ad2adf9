// Stops the shared synth if it still runs (a run of a few tests may never have needed it) and removes
// the run's synthesized-stack directory (see global-setup.js).
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const child = globalThis.sharedSynth;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  }
  if (process.env.TEST_SYNTH_CACHE) rmSync(process.env.TEST_SYNTH_CACHE, { recursive: true, force: true });
};
