// `npm test`: the type check (`tsc --noEmit`) and jest, side by side (tsc is native and mostly waits
// on no one; jest's workers take the cores), then one verdict line. Either failing fails the run.
// Arguments go to jest (`npm test -- -t 'release'`).
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const results = mkdtempSync(join(tmpdir(), 'npm-test-'));
const report = join(results, 'jest.json');

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.on('error', (error) => {
      process.stderr.write(`${command}: ${error.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

(async () => {
  const [tsc, jest] = await Promise.all([
    // Incremental: a rerun rechecks only what changed (half the CPU); the build info is a cache, kept out of git.
    run(bin('tsc'), ['--noEmit', '-p', '.', '--incremental', '--tsBuildInfoFile', join(root, 'node_modules', '.cache', 'tsc', 'tsbuildinfo')]),
    run(bin('jest'), ['--json', `--outputFile=${report}`, ...process.argv.slice(2)]),
  ]);
  let counts = '';
  try {
    const { numPassedTests, numFailedTests } = JSON.parse(readFileSync(report, 'utf8'));
    counts = `${numPassedTests} passed, ${numFailedTests} failed`;
  } catch {
    counts = 'jest wrote no results';
  }
  rmSync(results, { recursive: true, force: true });
  process.stdout.write(`\ntype check: ${tsc === 0 ? 'ok' : 'FAILED'}\n${counts}\n`);
  process.exitCode = tsc === 0 && jest === 0 ? 0 : 1;
})();
