// Shared test helpers: the real environments, changed only where a test says so.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing, type TerraformStack } from 'cdktf';
import { buildEnvironment, type EnvironmentStacks } from '../src/app';
import { newApp, synthesizeApp } from '../src/app-synth';
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
 * `Testing.synth(stacksFor(envName)[stack])` — one stack of a real environment WITHOUT overrides —
 * synthesized once per test run and shared by every test file: the first file that asks writes it to
 * the run's directory (made by __tests__/global-setup.js, removed at the end), the others read it.
 * The same string a fresh build gives (stacks synthesize alike in any order). Anything with overrides
 * goes through `stacksFor(envName, overrides)`; unit tests keep their own `Testing.synthScope`.
 */
export function synthOf(envName: string, stack: StackName): string {
  const key = `${envName}-${stack}`;
  const known = synthesizedHere.get(key);
  if (known !== undefined) return known;
  const dir = process.env.TEST_SYNTH_CACHE;
  const file = dir ? join(dir, `${key}.json`) : undefined;
  let synthesized: string;
  if (file && existsSync(file)) synthesized = readFileSync(file, 'utf8');
  else {
    synthesized = Testing.synth(stacksFor(envName)[stack]);
    if (file) {
      mkdirSync(dir!, { recursive: true });
      // Another worker may be writing the same stack (same content): write aside, then rename.
      const partial = `${file}.${process.pid}`;
      writeFileSync(partial, synthesized);
      renameSync(partial, file);
    }
  }
  synthesizedHere.set(key, synthesized);
  return synthesized;
}

/**
 * The cdktf output directory (manifest.json, stacks/<name>/cdk.tf.json) of real environments, as
 * main.ts writes it, synthesized once per test run, for commands that take `--dir` (validate, diagram)
 * and for comparing with main.ts's own output.
 */
export function synthDirOf(envNames: string[]): string {
  const cache = process.env.TEST_SYNTH_CACHE ?? mkdtempSync(join(tmpdir(), 'test-synth-'));
  const dir = join(cache, `out-${envNames.join('-')}`);
  if (existsSync(dir)) return dir;
  // Synthesized aside and renamed into place: another worker may be making the same directory.
  const partial = `${dir}.${process.pid}`;
  const app = newApp({ outdir: partial });
  const configs = envNames.map((env) => configFor(env));
  for (const config of configs) buildEnvironment(app, config, configs);
  synthesizeApp(app);
  try {
    renameSync(partial, dir);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // the other worker's is already there
  }
  return dir;
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
