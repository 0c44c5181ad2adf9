// `npm run lock [-- <env>...]`: writes provider lock files for every stack of the environments (all
// by default) with `terraform providers lock` for the CI and laptop platforms, into locks/. Needs a
// machine that reaches the Terraform registry; commit what it writes.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { environments } from '../config/environments';
import type { CommandIo } from '../lib/command-io';
import { SynthError } from '../synth-output';
import { checkEnvironment, synthesizeEnvironment } from './environment';
import { committedLockFile, LOCK_FILE, LOCK_PLATFORMS, LOCKS_DIR, prepareLockFile } from './lock-files';
import { dependencyOrder, UsageError } from './stack-selection';
import { runTerraform, terraformEnv, terraformError } from './terraform';

export interface LockOptions {
  readonly root: string;
  readonly envs: string[];
  readonly outdir: string;
  readonly synthDir?: string;
  /** Environment (registry access settings, TF_PLUGIN_CACHE_DIR...) and output lines. */
  readonly io: CommandIo;
}

/** Exit code: 0 written, 1 terraform or synth failed, 2 bad input. */
export async function lock(options: LockOptions): Promise<number> {
  const { io } = options;
  const fail = (line: string, code = 1) => {
    io.error(`lock: ${line}`);
    return code;
  };
  const envs = options.envs.length ? options.envs : Object.keys(environments);
  try {
    envs.forEach(checkEnvironment);
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, 2);
    throw error;
  }
  const tfEnv = terraformEnv(io.env);
  mkdirSync(join(options.root, LOCKS_DIR), { recursive: true });
  const written: string[] = [];
  for (const env of envs) {
    io.log(`lock: synthesizing ${env}`);
    let synthesized;
    try {
      synthesized = synthesizeEnvironment(env, options.outdir, options.synthDir, io.env);
    } catch (error) {
      if (error instanceof SynthError) return fail(`synth failed:\n${error.message}`);
      if (error instanceof UsageError) return fail(error.message, 2);
      throw error;
    }
    for (const stack of dependencyOrder(synthesized.stacks).filter((s) => s.startsWith(`${env}-`))) {
      const cwd = synthesized.stackDir(stack);
      io.log(`${stack}: terraform providers lock ${LOCK_PLATFORMS.map((p) => `-platform=${p}`).join(' ')}`);
      prepareLockFile(cwd, undefined); // start from nothing: every checksum comes from the registry
      const result = await runTerraform(['providers', 'lock', ...LOCK_PLATFORMS.map((p) => `-platform=${p}`)], { cwd, env: tfEnv });
      if (result.status !== 0) return fail(`${stack}: terraform providers lock failed (exit ${result.status}; it needs the Terraform registry):\n${terraformError(result.output)}`);
      copyFileSync(join(cwd, LOCK_FILE), committedLockFile(options.root, stack));
      written.push(relative(options.root, committedLockFile(options.root, stack)));
    }
  }
  io.log(`lock: wrote ${written.length} lock file(s): ${written.join(', ')}. Commit them; plan and apply then init with -lockfile=readonly.`);
  return 0;
}
