// When terraform cannot save the state at the end of an apply (typically: the credentials expired
// mid-apply, so the S3 PutObject of the state fails too), it writes the state to `errored.tfstate` in
// its working directory and cannot release the lock either (DeleteObject of the .tflock fails the same
// way). That file is the only record of what the apply created: apply keeps it (never deletes it),
// copies it out of cdktf.out (synth rewrites that folder), and plan/apply refuse the environment until
// it is pushed. https://developer.hashicorp.com/terraform/cli/commands/state/push
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandOptions } from './plan';
import { pendingRecovery, recoveryDir, recoveryFile, sha256, shownPath } from './plan-set';

const ERRORED_STATE = 'errored.tfstate';

/** A fingerprint of the stack directory's errored.tfstate (null when absent), to see whether a run wrote one. */
export function erroredStateMark(stackDir: string): string | null {
  const file = join(stackDir, ERRORED_STATE);
  return existsSync(file) ? sha256(file) : null;
}

/** Copies the errored state terraform just wrote into the recovery folder; returns the copy's path. */
export function keepErroredState(stackDir: string, plansDir: string, env: string, stack: string): string {
  mkdirSync(recoveryDir(plansDir, env), { recursive: true });
  const kept = recoveryFile(plansDir, env, stack);
  copyFileSync(join(stackDir, ERRORED_STATE), kept);
  return kept;
}

/**
 * The exact recovery, with fresh credentials of the apply role: push the kept state while the failed
 * run's lock still keeps everybody else out (-lock=false), then remove the copy, then release that lock
 * (the next plan stops on it and prints the exact force-unlock).
 */
export function recoveryInstructions(env: string, stack: string, kept: string, stackDir: string): string {
  return [
    `${stack}: terraform could not save the state (credentials expired mid-apply?); it is in ${kept} (kept: do not delete it, do not apply again before it is pushed: that would fork the state).`,
    `    With fresh credentials of the apply role for ${env}:`,
    `      cd ${stackDir} && terraform init -input=false -reconfigure && terraform state push -lock=false ${kept}`,
    `      (-lock=false: the failed run's lock is still held, so nobody else writes meanwhile)`,
    `      rm ${kept}`,
    `      npm run plan -- ${env}    # stops on the failed run's lock and prints the exact terraform force-unlock; run it, then plan again`,
  ].join('\n');
}

/**
 * Refuses (exit 1, with the recovery) while apply keeps a state terraform could not save for `env`:
 * a plan would be made against the old state, an apply would fork it.
 */
export function refuseWhileRecoveryPending(command: string, options: CommandOptions, env: string): number | undefined {
  const stacks = pendingRecovery(options.plansDir, env);
  if (stacks.length === 0) return undefined;
  for (const stack of stacks) {
    const stackDir = join(options.synthDir ?? options.outdir, 'stacks', stack);
    options.io.error(`${command}: ${recoveryInstructions(env, stack, recoveryFile(options.plansDir, env, stack), shownPath(options.root, stackDir))}`);
  }
  options.io.error(`${command}: refusing: ${stacks.join(', ')} of ${env} ha${stacks.length > 1 ? 've' : 's'} a state that was not saved; push it first (above)`);
  return 1;
}
