// `npm run plan -- <env> [<stack>...]`: synthesize the environment, then per stack `terraform init`,
// `terraform plan -out=<saved plan>` and `terraform show -json`, into plans/<env>/ (emptied first),
// stacks side by side (see runStacks); then, in dependency order, defer or review the whole set.
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
import { committedLockFile, LOCK_FILE } from './lock-files';
import { INTERRUPTED_EXIT, withInterrupts, type Interrupts, type SignalSource } from './interrupts';
import { gitState, GitStateError, shownPath, withPlanSetLock, planFile, planJsonFile, planLockFile, resetPlanDir, sha256, writeMetadata } from './plan-set';
import { dependents, selectStacks, UsageError } from './stack-selection';
import { refuseWhileRecoveryPending } from './state-recovery';
import { settleAll } from './concurrency';
import { DEFAULT_PARALLEL, stackSteps } from './stack-steps';
import { terraformEnv, terraformError, type TerraformResult } from './terraform';
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
  /** The clock that tells a signal's copy and a supervisor's escalation apart (see interrupts.ts). @default Date.now */
  readonly now?: () => number;
  /** Terraform processes plan runs at once (inits one at a time); 1 plans stack after stack. @default DEFAULT_PARALLEL */
  readonly parallel?: number;
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
  return withInterrupts('plan', options, (interrupts) => withPlanSetLock('plan', options.plansDir, options.env, options.io, (env) => planUnlocked(options, env, interrupts)));
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
  let git: ReturnType<typeof gitState>;
  try {
    git = gitState(options.root);
  } catch (error) {
    if (!(error instanceof GitStateError)) throw error;
    return fail(`${env}: ${error.message}; nothing was planned`);
  }
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
  const outcomes = await runStacks(stacks, { options, env, dir, tfEnv, interrupts, stackDir: synthesized.stackDir });

  // Interrupted: terraform was told and has exited; no set is left to apply.
  if (interrupts.signal) {
    resetPlanDir(dir);
    const during = outcomes.filter((o) => o.interrupted === 'during').map((o) => o.stack);
    const next = outcomes.filter((o) => o.interrupted === 'before').map((o) => o.stack);
    const done = outcomes.filter((o) => o.json).map((o) => o.stack);
    log(`plan ${env}: interrupted (${interrupts.signal}) ${during.length ? `during ${during.join(', ')}` : `before ${next[0] ?? 'the review'}`}: no plan set saved (planned: ${done.join(', ') || 'none'}).`);
    return INTERRUPTED_EXIT[interrupts.signal];
  }

  // The outcomes in dependency order: a failed plan downstream of changed outputs is deferred.
  const planned: string[] = [];
  const deferred: string[] = [];
  const failures: string[] = [];
  const outputChanges = new Map<string, string[]>();
  const plans: Array<{ stack: string; plan: TerraformPlan }> = [];
  const sums: Record<string, string> = {};
  for (const [i, outcome] of outcomes.entries()) {
    const { stack } = outcome;
    const step = (what: string) => log(`[${i + 1}/${stacks.length}] ${stack}: ${what}`);
    if (outcome.failed) {
      const { what, result } = outcome.failed;
      // A downstream stack often cannot plan before its upstream's new outputs exist (first deploy).
      const waitingFor = what === 'plan' ? [...outputChanges.keys()].filter((up) => dependents(synthesized.stacks, up).includes(stack)) : [];
      if (waitingFor.length > 0) {
        step(`deferred: it reads outputs that ${waitingFor.join(', ')} will change; plan it again after applying them. terraform said:\n${terraformError(result.output)}`);
        deferred.push(stack);
      } else {
        failures.push(explainFailure(stack, what, result, { env, dir: shownPath(options.root, synthesized.stackDir(stack)), host, planning: true }));
      }
      continue;
    }
    if (outcome.error) {
      failures.push(outcome.error);
      continue;
    }
    const json = outcome.json!;
    sums[stack] = outcome.sha256!;
    const outputs = changedOutputs(json);
    if (outputs.length > 0) outputChanges.set(stack, outputs);
    planned.push(stack);
    plans.push({ stack, plan: json });
    step(`saved ${shownPath(options.root, planFile(dir, stack))}: ${countsLine(reviewPlan(stack, json).counts)}`);
  }
  // Every stack that failed, each said once (they ran side by side); no metadata: nothing to apply.
  if (failures.length > 0) {
    for (const line of failures) io.error(`plan: ${line}`);
    return 1;
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


/** What happened to one stack: its plan JSON, or the step that failed, or where a signal stopped it. */
interface StackOutcome {
  readonly stack: string;
  readonly json?: TerraformPlan;
  /** sha256 of the saved plan. */
  readonly sha256?: string;
  readonly failed?: { readonly what: 'init' | 'plan' | 'show -json'; readonly result: TerraformResult };
  /** A failure that is not terraform's (its show -json was not plan JSON). */
  readonly error?: string;
  /** A signal came while its terraform ran ('during') or before its next step started ('before'). */
  readonly interrupted?: 'during' | 'before';
}

interface RunContext {
  readonly options: CommandOptions;
  readonly env: string;
  readonly dir: string;
  readonly tfEnv: NodeJS.ProcessEnv;
  readonly interrupts: Interrupts;
  stackDir(stack: string): string;
}

/**
 * init, plan -out and show -json of every stack, side by side (see stack-steps.ts: up to `--parallel`
 * terraform processes, the inits one at a time). A plan never writes a state, and a downstream stack
 * reads its upstream's outputs from the state (terraform_remote_state), so planning it before, during or
 * after its upstream's plan gives the same plan: the order only matters for apply, and for deferral,
 * which is decided afterwards in dependency order. Outcomes come back in the order of `stacks`.
 */
async function runStacks(stacks: string[], context: RunContext): Promise<StackOutcome[]> {
  const { options, dir, tfEnv, interrupts } = context;
  const log = options.io.log;
  const parallel = options.parallel ?? DEFAULT_PARALLEL;
  const stepsOf = stackSteps(parallel, tfEnv, interrupts);

  const runStack = async (stack: string, i: number): Promise<StackOutcome> => {
    const cwd = context.stackDir(stack);
    const terraform = stepsOf(cwd, (what) => log(`[${i + 1}/${stacks.length}] ${stack}: ${what}`));
    const stopped = (result: TerraformResult | undefined): StackOutcome | undefined =>
      interrupts.signal ? { stack, interrupted: result ? 'during' : 'before' } : undefined;

    const init = await terraform.init(committedLockFile(options.root, stack));
    if (stopped(init) || !init) return stopped(init)!;
    if (init.status !== 0) return { stack, failed: { what: 'init', result: init } };

    const saved = planFile(dir, stack);
    // Progress of slow reads and terraform's answer to an interrupt; the rest is the review.
    const onLine = (line: string) => PLAN_PROGRESS.test(line) && log(`    ${stack}: ${line}`);
    const result = await terraform.run('plan', ['plan', '-input=false', `-out=${saved}`], onLine);
    // Terraform writes an errored or interrupted plan to -out too: never leave one that looks like a plan.
    if (result && result.status !== 0) rmSync(saved, { force: true });
    if (stopped(result) || !result) return stopped(result)!;
    if (result.status !== 0) return { stack, failed: { what: 'plan', result } };

    const show = await terraform.run(undefined, ['show', '-json', saved]);
    if (stopped(show) || !show) return stopped(show)!;
    if (show.status !== 0) return { stack, failed: { what: 'show -json', result: show } };
    let json: TerraformPlan;
    try {
      json = parsePlanJson(show.output, `${stack}: terraform show -json`);
    } catch (error) {
      return { stack, error: (error as Error).message };
    }
    writeFileSync(planJsonFile(dir, stack), `${JSON.stringify(json)}\n`);
    if (existsSync(join(cwd, LOCK_FILE))) copyFileSync(join(cwd, LOCK_FILE), planLockFile(dir, stack));
    return { stack, json, sha256: sha256(saved) };
  };

  if (parallel === 1) {
    // One stack after the other, stopping at the first failure as before.
    const outcomes: StackOutcome[] = [];
    for (const [i, stack] of stacks.entries()) {
      const outcome = await runStack(stack, i);
      outcomes.push(outcome);
      if (outcome.interrupted || outcome.error || (outcome.failed && outcome.failed.what !== 'plan')) break;
    }
    return outcomes;
  }
  // Every stack's terraform has exited before this returns, even when one threw (a full disk).
  return settleAll(stacks.map((stack, i) => runStack(stack, i)));
}
