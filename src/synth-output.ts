// Reading and producing synthesized output: the contract every tool here works on, like Terraform does.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { processIo, type CommandIo } from './lib/command-io';

export interface SynthesizedStack {
  readonly name: string;
  readonly dependencies: string[];
  readonly json: Record<string, unknown>;
}

/** The stacks of a cdktf output directory (`cdktf.out`), in manifest order. */
export function readSynthOutput(outdir: string): SynthesizedStack[] {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    stacks: Record<string, { name: string; dependencies: string[]; synthesizedStackPath: string }>;
  };
  return Object.values(manifest.stacks).map((stack) => ({
    name: stack.name,
    dependencies: stack.dependencies,
    json: JSON.parse(readFileSync(join(outdir, stack.synthesizedStackPath), 'utf8')) as Record<string, unknown>,
  }));
}

/**
 * Runs the app command (`main.ts`, what `cdktf synth` runs) in `projectDir` into `outdir` (default: a
 * fresh temporary directory). Returns that directory; throws with the app's own message when synth fails.
 * `npm run plan` / `apply` pass `cdktf.out`: terraform runs in its stack directories, where the
 * bootstrap stack's relative local-backend path (`../../../state/`) leads to the project's `state/`.
 */
export function synthesize(projectDir = process.cwd(), env: NodeJS.ProcessEnv = process.env, outdir = mkdtempSync(join(tmpdir(), 'cdktf-synth-'))): string {
  const [args, options] = appCommand(projectDir, env, outdir);
  const result = spawnSync(process.execPath, args, { ...options, encoding: 'utf8' });
  if (result.status !== 0) throw new SynthError(result.stderr.trim() || `synth exited with ${result.status}`);
  return outdir;
}

/** Arguments and options of the app command (`node main.ts`) writing into `outdir`. */
function appCommand(projectDir: string, env: NodeJS.ProcessEnv, outdir: string): [string[], { cwd: string; env: NodeJS.ProcessEnv }] {
  // This checkout's loader, so an older checkout (e.g. the base of a review) runs the same way.
  const loader = join(__dirname, '..', 'scripts', 'ts-register.cjs');
  return [['-r', loader, 'main.ts'], { cwd: resolve(projectDir), env: { ...env, CDKTF_OUTDIR: outdir } }];
}

/**
 * `synthesize` without blocking: the app command runs as a child process while the caller goes on (the
 * review synthesizes its base and the working tree side by side). Rejects with a SynthError as
 * `synthesize` throws it.
 */
export function synthesizeInBackground(projectDir = process.cwd(), env: NodeJS.ProcessEnv = process.env, outdir = mkdtempSync(join(tmpdir(), 'cdktf-synth-'))): Promise<string> {
  const [args, options] = appCommand(projectDir, env, outdir);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolvePromise(outdir) : reject(new SynthError(stderr.trim() || `synth exited with ${status}`))));
  });
}

/**
 * The stacks of `dir` (an existing cdktf output) or, without one, of a fresh synth of `io.cwd` with
 * `io.env`. On a failed synth, reports the app's own message and returns undefined: the caller exits
 * non-zero.
 */
export function stacksFrom(dir: string | undefined, io: CommandIo = processIo()): SynthesizedStack[] | undefined {
  if (dir) return readSynthOutput(resolve(io.cwd, dir));
  let outdir: string;
  try {
    outdir = synthesize(io.cwd, io.env);
  } catch (error) {
    if (!(error instanceof SynthError)) throw error;
    io.error(error.message);
    return undefined;
  }
  try {
    return readSynthOutput(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export class SynthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SynthError';
  }
}
