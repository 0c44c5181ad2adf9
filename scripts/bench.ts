// `npm run bench`: type-check time, synth time (app command alone and through `cdktf synth`),
// peak memory, and synth time as services grow. Prints a Markdown table for README.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? '5');

interface Run {
  readonly ms: number;
  readonly rssMb?: number;
  readonly stdout: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: root, env: { ...process.env, CHECKPOINT_DISABLE: '1', ...env }, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
  const rss = /BENCH_MAX_RSS_KB=(\d+)/.exec(result.stderr);
  return { ms, rssMb: rss ? Number(rss[1]) / 1024 : undefined, stdout: result.stdout };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function repeat(times: number, once: () => Run): { ms: number; rssMb?: number; stdouts: string[] } {
  const runs = Array.from({ length: times }, once);
  const rss = runs.map((r) => r.rssMb).filter((v): v is number => v !== undefined);
  return { ms: median(runs.map((r) => r.ms)), rssMb: rss.length ? Math.max(...rss) : undefined, stdouts: runs.map((r) => r.stdout) };
}

const node = process.execPath;
const hook = ['-r', './scripts/ts-register.cjs', '-r', './scripts/bench-rss-probe.cjs'];
const rows: Array<[string, string, string]> = [];
const add = (what: string, result: { ms: number; rssMb?: number }) =>
  rows.push([what, `${(result.ms / 1000).toFixed(2)} s`, result.rssMb ? `${Math.round(result.rssMb)} MB` : '']);

add('type check (`tsc --noEmit`, TypeScript 7)', repeat(RUNS, () => run(node, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'])));
// The floor: what loading cdktf alone costs (issue 24 measures synth against it).
const floor = repeat(RUNS, () => run(node, ['-r', './scripts/bench-rss-probe.cjs', '-e', 'require("cdktf")']));
add('floor: `node -e \'require("cdktf")\'`', floor);
const synth = repeat(RUNS, () => run(node, [...hook, 'main.ts'], { CDKTF_OUTDIR: mkdtempSync(join(tmpdir(), 'bench-')) }));
add(`synth, all environments, app command (\`node main.ts\`): ${(synth.ms / floor.ms).toFixed(1)}× the floor`, synth);
add('synth, all environments, `cdktf synth`', repeat(Math.min(RUNS, 3), () => run(node, [join(root, 'node_modules/cdktf-cli/bundle/bin/cdktf'), 'synth', '--output', mkdtempSync(join(tmpdir(), 'bench-'))])));
for (const services of [1, 10, 50, 100]) {
  const result = repeat(Math.min(RUNS, 3), () => run(node, [...hook, 'scripts/bench-scale.ts', String(services)]));
  const inProcess = median(result.stdouts.map((stdout) => Number(/BENCH_SYNTH_MS=(\d+)/.exec(stdout)?.[1])));
  rows.push([`scale: ${services} service(s) per environment (build + synth in process: ${inProcess} ms)`, `${(result.ms / 1000).toFixed(2)} s`, `${Math.round(result.rssMb ?? 0)} MB`]);
}

console.log(`Node ${process.version}, ${require('node:os').cpus().length} cores, median of ${RUNS} runs (${Math.min(RUNS, 3)} for cdktf synth and scale)\n`);
console.log('| what | time | peak RSS |\n| --- | --- | --- |');
for (const [what, time, rss] of rows) console.log(`| ${what} | ${time} | ${rss} |`);
