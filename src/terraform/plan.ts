// `npm run plan -- <env> [<stack>...]`: synthesize the environment, then per stack in dependency order
// `terraform init`, `terraform plan -out=<saved plan>` and `terraform show -json`, into plans/<env>/
// (emptied first); then review the whole set.
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { environments, project } from '../config/environments';
import { ConfigError, loadConfig } from '../config/load';
import { logText, type CommandIo } from '../lib/command-io';
import { configWarnings } from '../config/warnings';
import { parsePlanJson, type TerraformPlan } from '../review/terraform-plan';
import { countsLine, formatPlanJson, formatPlanMarkdown, formatPlanText, reviewPlan, reviewPlans, verdict } from '../review/terraform-plan-review';
import { SynthError } from '../synth-output';
import { synthesizeEnvironment } from './environment';
import { committedLockFile, LOCK_FILE, prepareLockFile } from './lock-files';
import { INTERRUPTED_EXIT, Interrupts, type SignalSource } from './interrupts';
import { gitState, pendingRecovery, shownPath, withPlanSetLock, planFile, planJsonFile, planLockFile, recoveryFile, resetPlanDir, sha256, writeMetadata } from './plan-set';
import { dependents, selectStacks, UsageError } from './stack-selection';
import { recoveryInstructions } from './state-recovery';
import { runTerraform, terraformEnv, terraformError } from './terraform';
import { explainFailure, thisHost, type Host } from './terraform-errors';

export interface CommandOptions {
  /** The project root (where `cdktf.out`, `plans/`, `reports/`, `locks/` and `state/` are). */
  readonly root: string;
  readonly env: string | undefined;
  readonly stacks: string[];
  /** Where to synthesize (default `<root>/cdktf.out`, or `CDKTF_OUTDIR`). */
  readonly outdir: string;
  /** Use this existing cdktf output instead of synthesizing. */
  readonly synthDir?: string;
  /** `<plansDir>/<env>/` holds the saved plans (default `<root>/plans`). */
  readonly plansDir: string;
  readonly reportsDir: string;
  /** Environment (credentials, TF_PLUGIN_CACHE_DIR...) and output lines. */
  readonly io: CommandIo;
  /** SIGINT/SIGTERM, relayed to terraform (see interrupts.ts). @default none: signals are not handled */
  readonly signals?: SignalSource;
  /** This machine, to tell a state lock of its own dead run. @default thisHost() */
  readonly host?: Host;
}

/**
 * Refuses (exit 1, with the recovery) while apply keeps a state terraform could not save for `env`:
 * a plan would be made against the old state, an apply would fork it.
 */
export function refuseWhileRecoveryPending(command: string, options: CommandOptions, env: string): number | undefined {
  const stacks = pendingRecovery(options.plansDir, env);
  if (stacks.length === 0) return undefined;
  for (const stack of stacks) {
    const dir = join(options.outdir, 'stacks', stack);
    options.io.error(`${command}: ${recoveryInstructions(env, stack, recoveryFile(options.plansDir, env, stack), shownPath(options.root, options.synthDir ? join(options.synthDir, 'stacks', stack) : dir))}`);
  }
  options.io.error(`${command}: refusing: ${stacks.join(', ')} of ${env} ha${stacks.length > 1 ? 've' : 's'} a state that was not saved; push it first (above)`);
  return 1;
}

/** Lines of `terraform plan` worth showing while it runs. */
const PLAN_PROGRESS = /Still [a-z]+\.\.\.|Interrupt received|Gracefully shutting down|Stopping operation|Two interrupts received/;

/** Output changes other than no-op: downstream plans made before applying this one used old values. */
export function changedOutputs(plan: TerraformPlan): string[] {
  return Object.entries(plan.output_changes ?? {})
    .filter(([, change]) => !change.actions.every((a) => a === 'no-op'))
    .map(([name]) => name);
}

/**
 * Exit code: 0 plans made (changes or not), 1 terraform or synth failed, 2 bad input, 130/143
 * interrupted (no plan set saved).
 */
export async function plan(options: CommandOptions): Promise<number> {
  const interrupts = new Interrupts('plan', options.io, options.signals);
  interrupts.start();
  try {
    return await withPlanSetLock('plan', options.plansDir, options.env, options.io, (env) => planUnlocked(options, env, interrupts));
  } finally {
    interrupts.stop();
  }
}

async function planUnlocked(options: CommandOptions, env: string, interrupts: Interrupts): Promise<number> {
  const { io } = options;
  const log = io.log;
  const host = options.host ?? thisHost();
  const fail = (line: string, code = 1) => {
    io.error(`plan: ${line}`);
    return code;
  };
  const pending = refuseWhileRecoveryPending('plan', options, env);
  if (pending !== undefined) return pending;
  // Uncommitted changes to what synth reads make plans that no commit describes: say so, and record
  // it in the set (apply in production then wants --allow-dirty-plan).
  const git = gitState(options.root);
  if (git.dirty) io.error(`warning: ${env}: uncommitted changes that affect synthesis (${git.dirtyFiles.join(', ')}): these plans are made from them, not from commit ${git.commit?.slice(0, 12)}`);

  // Configuration first: errors stop here, warnings (example values included) are printed once.
  try {
    for (const line of configWarnings(loadConfig(project, environments, { only: env }), { examples: true })) io.error(line);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.error(error.message);
    return 1;
  }

  log(`plan ${env}: synthesizing ${env}${options.synthDir ? ` (using ${options.synthDir})` : ''}`);
  let synthesized;
  let stacks: string[];
  try {
    synthesized = synthesizeEnvironment(env, options.outdir, options.synthDir, io.env);
    stacks = selectStacks(synthesized.stacks, env, options.stacks);
  } catch (error) {
    if (error instanceof SynthError) return fail(`synth failed:\n${error.message}`);
    if (error instanceof UsageError) return fail(error.message, 2);
    throw error;
  }

  const dir = join(options.plansDir, env);
  resetPlanDir(dir);
  const tfEnv = terraformEnv(io.env);
  const planned: string[] = [];
  const deferred: string[] = [];
  const outputChanges = new Map<string, string[]>();
  const plans: Array<{ stack: string; plan: TerraformPlan }> = [];
  const sums: Record<string, string> = {};

  // Interrupted: terraform was told and has exited; no set is left to apply.
  const stopped = (stack: string) => {
    resetPlanDir(dir);
    log(`plan ${env}: interrupted (${interrupts.signal}) during ${stack}: no plan set saved (planned: ${planned.join(', ') || 'none'}).`);
    return INTERRUPTED_EXIT[interrupts.signal!];
  };

  for (const [i, stack] of stacks.entries()) {
    if (interrupts.signal) return stopped(stack);
    const cwd = synthesized.stackDir(stack);
    const step = (what: string) => log(`[${i + 1}/${stacks.length}] ${stack}: ${what}`);
    const failure = (what: string, result: { status: number; output: string }) => explainFailure(stack, what, result, { env, dir: shownPath(options.root, cwd), host, planning: true });
    step('terraform init');
    const lockArgs = prepareLockFile(cwd, committedLockFile(options.root, stack));
    // -reconfigure: the backend as synthesized now, like a fresh CI checkout, never a cached older one
    // (moving state between backends is a deliberate `terraform init -migrate-state`, README step 1).
    const init = await runTerraform(['init', '-input=false', '-reconfigure', ...lockArgs], { cwd, env: tfEnv, interrupts });
    if (interrupts.signal) return stopped(stack);
    if (init.status !== 0) return fail(failure('init', init));

    step('terraform plan');
    const saved = planFile(dir, stack);
    // Progress of slow reads and terraform's answer to an interrupt; the rest is the review below.
    const onLine = (line: string) => PLAN_PROGRESS.test(line) && log(`    ${line}`);
    const result = await runTerraform(['plan', '-input=false', `-out=${saved}`], { cwd, env: tfEnv, interrupts, onLine });
    if (interrupts.signal) return stopped(stack);
    if (result.status !== 0) {
      // Terraform writes an errored plan to -out too: never leave one that looks like a plan.
      rmSync(saved, { force: true });
      // A downstream stack often cannot plan before its upstream's new outputs exist (first deploy).
      const waitingFor = [...outputChanges.keys()].filter((up) => dependents(synthesized.stacks, up).includes(stack));
      if (waitingFor.length > 0) {
        step(`deferred: it reads outputs that ${waitingFor.join(', ')} will change; plan it again after applying them. terraform said:\n${terraformError(result.output)}`);
        deferred.push(stack);
        continue;
      }
      return fail(failure('plan', result));
    }

    const show = await runTerraform(['show', '-json', saved], { cwd, env: tfEnv, interrupts });
    if (interrupts.signal) return stopped(stack);
    if (show.status !== 0) return fail(failure('show -json', show));
    let json: TerraformPlan;
    try {
      json = parsePlanJson(show.output, `${stack}: terraform show -json`);
    } catch (error) {
      return fail((error as Error).message);
    }
    writeFileSync(planJsonFile(dir, stack), `${JSON.stringify(json)}\n`);
    if (existsSync(join(cwd, LOCK_FILE))) copyFileSync(join(cwd, LOCK_FILE), planLockFile(dir, stack));
    sums[stack] = sha256(saved);
    const outputs = changedOutputs(json);
    if (outputs.length > 0) outputChanges.set(stack, outputs);
    planned.push(stack);
    plans.push({ stack, plan: json });
    step(`saved ${shownPath(options.root, saved)}: ${countsLine(reviewPlan(stack, json).counts)}`);
  }

  writeMetadata(dir, { env, stacks: planned, deferred, ...git, createdAt: new Date().toISOString(), sha256: sums, applied: [], stale: [] });

  const review = reviewPlans(plans);
  mkdirSync(options.reportsDir, { recursive: true });
  const title = `Terraform plan: ${env}${git.commit ? ` @ ${git.commit.slice(0, 12)}` : ''}`;
  const deferredNote = deferred.length ? `\n\n_Not planned yet (plan again after applying their upstream stacks): ${deferred.map((s) => `\`${s}\``).join(', ')}._\n` : '';
  writeFileSync(join(options.reportsDir, `plan-${env}.md`), formatPlanMarkdown(review, title) + deferredNote);
  writeFileSync(join(options.reportsDir, `plan-${env}.json`), formatPlanJson(review, { env, commit: git.commit, deferred }));

  log('');
  logText(io, formatPlanText(review));
  log(`Reports: ${shownPath(options.root, join(options.reportsDir, `plan-${env}.md`))}, ${shownPath(options.root, join(options.reportsDir, `plan-${env}.json`))}`);
  if (review.dangers.length > 0) log(`${review.dangers.length} DANGER: \`npm run apply -- ${env}\` refuses this set unless --allow-destroy.`);
  const rest = deferred.length ? `; not planned until ${[...outputChanges.keys()].join(', ')} is applied: ${deferred.join(', ')}` : '';
  const next = review.stacks.some((st) => st.resources.length > 0 || st.outputs.length > 0) || deferred.length ? `Apply with \`npm run apply -- ${env}\`.` : 'Nothing to apply.';
  log(`plan ${env}: ${planned.length} plan(s) saved in ${shownPath(options.root, dir)} (${verdict(review)})${rest}. ${next}`);
  return 0;
}

