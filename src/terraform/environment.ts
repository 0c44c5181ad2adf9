// The synthesized stacks of one environment, where terraform runs.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { environments } from '../config/environments';
import { readSynthOutput, synthesize, type SynthesizedStack } from '../synth-output';
import { UsageError } from './stack-selection';

/** This checkout: its main.ts is what gets synthesized, and the CLIs' project directory by default. */
export const PROJECT_ROOT = resolve(__dirname, '..', '..');

/** Refuses an environment the configuration does not define. */
export function checkEnvironment(env: string | undefined): string {
  const defined = Object.keys(environments);
  if (!env) throw new UsageError(`name an environment (${defined.join(', ')})`);
  if (!defined.includes(env)) throw new UsageError(`unknown environment ${JSON.stringify(env)} (${defined.join(', ')})`);
  return env;
}

export interface SynthesizedEnvironment {
  /** The cdktf output directory. */
  readonly outdir: string;
  readonly stacks: SynthesizedStack[];
  /** The directory terraform runs in for a stack. */
  stackDir(stack: string): string;
}

/**
 * Synthesizes only `env` (`ENVIRONMENTS=<env>`) into `outdir`, or reads `existing` (an output made
 * earlier) when given. Throws SynthError with the app's message when synth fails.
 */
export function synthesizeEnvironment(env: string, outdir: string, existing: string | undefined, baseEnv: NodeJS.ProcessEnv): SynthesizedEnvironment {
  // The app of this checkout (main.ts) is what gets synthesized.
  const dir = existing ? resolve(existing) : synthesize(PROJECT_ROOT, { ...baseEnv, ENVIRONMENTS: env }, resolve(outdir));
  if (!existsSync(join(dir, 'manifest.json'))) throw new UsageError(`${dir}: no cdktf output here (manifest.json missing)`);
  const stacks = readSynthOutput(dir);
  return { outdir: dir, stacks, stackDir: (stack) => join(dir, 'stacks', stack) };
}
