// Shared test helpers: the real environments, changed only where a test says so.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing, type TerraformStack } from 'cdktf';
import { buildEnvironment, type EnvironmentStacks } from '../src/app';
import { synthesizeEnvironments } from '../src/app-synth';
import { environments, project } from '../src/config/environments';
import { loadConfig, type EnvironmentConfig } from '../src/config/load';
import type { EnvironmentInput } from '../src/config/schema';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends Array<unknown> ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type Overrides = DeepPartial<EnvironmentInput> & Record<string, unknown>;

export function merge<T>(base: T, overrides: unknown): T {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) return overrides as T;
  const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    result[key] = value === undefined ? undefined : merge(result[key], value);
  }
  return result as T;
}

/** One real environment's validated config, with `overrides` merged in. */
export function configFor(envName: string, overrides: Overrides = {}): EnvironmentConfig {
  return loadConfig(project, { [envName]: merge(environments[envName], overrides) })[0];
}

/** The messages loading fails with, for one environment with `overrides`; [] when it loads. */
export function configProblems(envName: string, overrides: Overrides): string[] {
  try {
    configFor(envName, overrides);
    return [];
  } catch (error) {
    return (error as { problems?: string[] }).problems ?? [String(error)];
  }
}

/** Builds one environment's stacks in a test app. */
export function stacksFor(envName: string, overrides: Overrides = {}): EnvironmentStacks {
  return buildEnvironment(Testing.app(), configFor(envName, overrides));
}

export type StackName = keyof EnvironmentStacks;

// Per test file (jest gives each file its own modules): synthesized stacks of the real environments.
const synthesizedHere = new Map<string, string>();

/**
 * Waits for the run's shared synth (fixtures/shared-synth.ts, started by global-setup.js) and returns
 * its directory; undefined when there is none to wait for (jest without the global setup, or the synth
 * failed or was stopped), so callers synthesize in-process and show the real error, if any.
 */
function sharedSynth(): string | undefined {
  const dir = process.env.TEST_SYNTH_CACHE;
  const pid = Number(process.env.TEST_SYNTH_PID);
  if (!dir || !pid) return undefined;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    if (existsSync(join(dir, 'ready'))) return dir;
    if (existsSync(join(dir, 'failed')) || !isRunning(pid)) return existsSync(join(dir, 'ready')) ? dir : undefined;
    Atomics.wait(pause, 0, 0, 25); // a synchronous pause: synthOf is called from test bodies and describe blocks
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `Testing.synth(stacksFor(envName)[stack])` — one stack of a real environment WITHOUT overrides —
 * synthesized once per test run for every test file, by the shared synth; in-process when there is
 * none. Anything with overrides goes through `stacksFor(envName, overrides)`; unit tests keep their
 * own `Testing.synthScope`.
 */
export function synthOf(envName: string, stack: StackName): string {
  const key = `${envName}-${stack}`;
  const known = synthesizedHere.get(key);
  if (known !== undefined) return known;
  const dir = sharedSynth();
  const synthesized = dir ? readFileSync(join(dir, `${key}.json`), 'utf8') : Testing.synth(stacksFor(envName)[stack]);
  synthesizedHere.set(key, synthesized);
  return synthesized;
}

/**
 * The cdktf output directory (manifest.json, stacks/<name>/cdk.tf.json) of every real environment, as
 * main.ts writes it, synthesized once per test run (the shared synth; in-process when there is none),
 * for commands that take `--dir` (validate, diagram) and for comparing with main.ts's own output.
 */
let synthDirHere: string | undefined;
export function sharedSynthDir(): string {
  const dir = sharedSynth();
  if (dir) return join(dir, 'out');
  if (synthDirHere) return synthDirHere;
  const outdir = (synthDirHere = mkdtempSync(join(tmpdir(), 'test-synth-')));
  synthesizeEnvironments(loadConfig(project, environments), outdir);
  return outdir;
}

/** Synthesized JSON of a stack, parsed, for assertions the matchers cannot express (counts, absence). */
export function synthJson(stack: TerraformStack): Record<string, any> {
  return JSON.parse(Testing.synth(stack));
}

/** Synthesized JSON as the tests read it. */
export type Json = Record<string, any>;

/** All instances of one resource type in a synthesized stack (the string `Testing.synth` returns). */
export function resourcesIn(synthesized: string, type: string): Json[] {
  return Object.values((JSON.parse(synthesized).resource?.[type] ?? {}) as Record<string, Json>);
}
