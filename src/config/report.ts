// How a configuration mistake reaches the user: one line per problem, exit 1, no stack trace,
// and no leftover synth output that could be deployed by mistake.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './load';

/** The loaded config, or undefined after reporting the problems and setting exit code 1. */
export function reportConfigErrors<T>(load: () => T, outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out'): T | undefined {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    // A previous synth's output would still look deployable: remove it (only if it is cdktf output).
    if (existsSync(join(outdir, 'manifest.json'))) rmSync(outdir, { recursive: true, force: true });
    process.exitCode = 1;
    return undefined;
  }
}
