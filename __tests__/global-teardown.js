// Removes the run's synthesized-stack directory (see global-setup.js).
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  if (process.env.TEST_SYNTH_CACHE) rmSync(process.env.TEST_SYNTH_CACHE, { recursive: true, force: true });
};
