// `npm run apply -- <env> [<stack>...]`: apply the saved plans of plans/<env>/ in dependency order with
// `terraform apply <saved plan>`. Never plans; refuses before applying anything when a plan is missing,
// altered, from another environment or commit, or when the set has a DANGER without --allow-destroy.
// The review and the DANGER refusal are of the saved plans themselves (`terraform show -json` of each
// .tfplan, run here), never of the JSON files beside them, which anyone can edit; each .tfplan is read
// once, into a private copy that is checksummed, reviewed and applied. A stale plan, and any plan
// downstream of one, is never applied.
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environments } from '../config/environments';
import { logText } from '../lib/command-io';
import { parsePlanJson, PlanInputError, type TerraformPlan } from '../review/terraform-plan';
import { formatPlanText, reviewPlans } from '../review/terraform-plan-review';
import { SynthError } from '../synth-output';
import { synthesizeEnvironment } from './environment';
import { INTERRUPTED_EXIT, withInterrupts, type Interrupts } from './interrupts';
import { committedLockFile } from './lock-files';
import { settleAll } from './concurrency';
import { changedOutputs, type CommandOptions } from './plan';
import { gitState, GitStateError, shownPath, withPlanSetLock, planFile, planJsonFile, planLockFile, PlanSetError, readMetadata, sha256, writeMetadata, type PlanSetMetadata } from './plan-set';
import { dependencyOrder, dependents, UsageError } from './stack-selection';
import { DEFAULT_PARALLEL, stackSteps } from './stack-steps';
import { erroredStateMark, keepErroredState, recoveryInstructions, refuseWhileRecoveryPending } from './state-recovery';
import { runTerraform, terraformEnv } from './terraform';
import { explainFailure, thisHost } from './terraform-errors';

export interface ApplyOptions extends CommandOptions {
  readonly allowDestroy: boolean;
  /**
   * Apply plans made from another commit. The saved plans carry their own configuration and Terraform
   * still refuses one whose state changed; this only waives the check that the checkout matches.
   */
  readonly allowOtherCommit?: boolean;
  /** Apply, in a production environment, plans made from uncommitted changes. */
  readonly allowDirtyPlan?: boolean;
  /** Production outside CI without a terminal to confirm on: the caller already approved (pipelines). */
  readonly yes?: boolean;
  /**
   * Asks a question on the terminal and resolves with the answer; undefined when there is no terminal
   * (stdin and stdout not a TTY).
   */
  readonly prompt?: (question: string) => Promise<string>;
}

/** Exit codes of apply; an interrupted apply exits 130 (SIGINT) or 143 (SIGTERM), see INTERRUPTED_EXIT. */
export const APPLY_EXIT = { ok: 0, failed: 1, badInput: 2, planAgain: 3 } as const;

/**
 * 0 all applied; 1 refused or terraform failed; 2 bad input (a damaged metadata.json too) or production
 * not confirmed; 3 plan again: applied an upstream stack whose outputs changed, so the downstream plans
 * of the set are stale, or skipped stale plans (and those downstream of them) while applying the rest;
 * 130/143 interrupted (what was applied and what not is printed).
 */
export async function apply(options: ApplyOptions): Promise<number> {
  // The verified copies of the saved plans (they hold secrets in clear): removed whatever happens.
  const scratch: string[] = [];
  try {
    return await withInterrupts('apply', options, (interrupts) => withPlanSetLock('apply', options.plansDir, options.env, options.io, (env) => applyUnlocked(options, env, interrupts, scratch)));
  } finally {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  }
}

async function applyUnlocked(options: ApplyOptions, env: string, interrupts: Interrupts, scratch: string[]): Promise<number> {
  const { io } = options;
  const log = io.log;
  const host = options.host ?? thisHost();
  const refuse = (line: string, code: number = APPLY_EXIT.failed) => {
    io.error(`apply: ${line}`);
    return code;
  };
  const dir = join(options.plansDir, env);
  const shown = shownPath(options.root, dir) || dir;
  const pending = refuseWhileRecoveryPending('apply', options, env);
  if (pending !== undefined) return pending;
  const production = environments[env].production === true;
  // Production from a workstation: a typed confirmation on a terminal; without one, only --yes (a
  // pipeline after its approval step). CI=true is what GitHub Actions and CircleCI set.
  const inCi = io.env.CI === 'true';
  const confirmOnTerminal = production && !inCi && !options.yes;
  if (confirmOnTerminal && !options.prompt) {
    return refuse(`${env} is a production environment: confirm on a terminal (run it in one), or pass --yes after your own approval step; nothing was applied`, APPLY_EXIT.badInput);
  }
  let metadata: PlanSetMetadata | undefined;
  try {
    metadata = readMetadata(dir, shown);
  } catch (error) {
    if (error instanceof PlanSetError) return refuse(error.message, APPLY_EXIT.badInput);
    throw error;
  }
  if (!metadata) return refuse(`no saved plans for ${env} in ${shown}: run \`npm run plan -- ${env}\` first`);
  if (metadata.env !== env) return refuse(`${shown} holds plans of environment ${metadata.env}, not ${env}: run \`npm run plan -- ${env}\``);
  let git: ReturnType<typeof gitState>;
  try {
    git = gitState(options.root);
  } catch (error) {
    if (!(error instanceof GitStateError)) throw error;
    return refuse(`${error.message}: the plans' commit cannot be checked; nothing was applied`);
  }
  if (metadata.commit !== git.commit && options.allowOtherCommit) {
    io.error(`warning: ${env}: the plans were made from commit ${metadata.commit ?? '(none)'}, this checkout is ${git.commit ?? '(not a git checkout)'}; applying the saved plans as they are (--allow-other-commit)`);
  } else if (metadata.commit !== git.commit) {
    return refuse(`the plans in ${shown} were made from commit ${metadata.commit ?? '(none)'}, this checkout is ${git.commit ?? '(not a git checkout)'}: check out that commit, plan again (\`npm run plan -- ${env}\`), or pass --allow-other-commit`);
  }
  if (metadata.dirty) {
    const files = metadata.dirtyFiles?.length ? ` (${metadata.dirtyFiles.join(', ')})` : '';
    if (production && !options.allowDirtyPlan) {
      return refuse(`${env} is a production environment and its plans were made from uncommitted changes${files} on top of ${metadata.commit?.slice(0, 12)}: commit them and plan again, or pass --allow-dirty-plan; nothing was applied`);
    }
    io.error(`warning: ${env}: the plans were made from uncommitted changes${files} on top of ${metadata.commit?.slice(0, 12)}; what is applied is what the saved plans say`);
  } else if (git.dirty) io.error(`warning: ${env}: this checkout has uncommitted changes (${git.dirtyFiles.join(', ')}); they are not applied (the saved plans are)`);
  log(`apply ${env}: plans of ${metadata.createdAt} (commit ${metadata.commit?.slice(0, 12) ?? 'none'})`);

  // Which stacks: the named ones, or every stack the set planned; always in the set's order.
  const known = new Set([...metadata.stacks, ...metadata.deferred, ...metadata.applied, ...metadata.stale.map((s) => s.stack)]);
  const resolveName = (name: string) => (name.startsWith(`${env}-`) ? name : `${env}-${name}`);
  const requested = options.stacks.map(resolveName);
  for (const name of requested) {
    if (!name.startsWith(`${env}-`) || !/^[a-z0-9-]+$/.test(name)) return refuse(`unknown stack ${JSON.stringify(name)} for environment ${env}`, APPLY_EXIT.badInput);
  }
  const selected = requested.length ? metadata.stacks.filter((s) => requested.includes(s)) : [...metadata.stacks];
  for (const name of requested) {
    const stale = metadata.stale.find((s) => s.stack === name);
    if (stale) return refuse(`${name}: its saved plan is stale (${stale.because}): run \`npm run plan -- ${env}\` again`);
    if (!metadata.stacks.includes(name)) {
      return refuse(`${name}: no saved plan in ${shown}${known.has(name) ? ' (it could not be planned yet)' : ''}: run \`npm run plan -- ${env} ${name}\``);
    }
  }
  const notApplied = selected.filter((s) => !metadata.applied.includes(s));
  for (const s of selected.filter((x) => metadata.applied.includes(x))) log(`${s}: already applied from this set, skipped`);

  log(`apply ${env}: synthesizing ${env} for the working directories`);
  let synthesized;
  try {
    synthesized = synthesizeEnvironment(env, options.outdir, options.synthDir, io.env);
  } catch (error) {
    if (error instanceof SynthError) return refuse(`synth failed:\n${error.message}`);
    if (error instanceof UsageError) return refuse(error.message, APPLY_EXIT.badInput);
    throw error;
  }
  const missing = notApplied.filter((s) => !synthesized.stacks.some((x) => x.name === s));
  if (missing.length) return refuse(`${missing.join(', ')}: not in the synthesized output of this checkout`);
  const order = dependencyOrder(synthesized.stacks);
  notApplied.sort((a, b) => order.indexOf(a) - order.indexOf(b));

  // A stale plan is never applied, nor one downstream of it: that plan was made with the outputs the
  // stale stack had then, which its (interrupted, unsaved or output-changing) apply may have changed.
  // Each skipped stack is said, and why; a named one is refused.
  const staleBecause = new Map(metadata.stale.map((s) => [s.stack, s.because]));
  const todo: string[] = [];
  const skipped: string[] = [];
  for (const stack of notApplied) {
    const upstream = [...staleBecause.keys()].find((up) => dependents(synthesized.stacks, up).includes(stack));
    const why = staleBecause.get(stack) ?? (upstream && `it reads outputs of ${upstream}, whose saved plan is stale: ${staleBecause.get(upstream)}`);
    if (!why) {
      todo.push(stack);
      continue;
    }
    if (requested.includes(stack)) return refuse(`${stack}: its saved plan is stale (${why}): run \`npm run plan -- ${env}\` again`);
    skipped.push(stack);
    log(`${stack}: skipped, its saved plan is stale (${why}): plan again`);
  }
  const staleNote = skipped.length ? `; skipped as stale: ${skipped.join(', ')} (plan again: \`npm run plan -- ${env}\`)` : '';
  if (todo.length === 0) return refuse(`nothing left to apply in ${shown}${skipped.length ? ` (stale: ${skipped.join(', ')})` : ''}: run \`npm run plan -- ${env}\``);

  // Every saved plan must be there and unaltered before anything is applied. Each is copied once into
  // a directory only this user can enter, and the copy is what is checked, reviewed and applied: a
  // plan file replaced after the check (between review and apply) is never read.
  const verified = mkdtempSync(join(tmpdir(), `apply-${env}-`));
  scratch.push(verified);
  chmodSync(verified, 0o700);
  const planCopy = (stack: string) => join(verified, `${stack}.tfplan`);
  for (const stack of todo) {
    const saved = planFile(dir, stack);
    if (!existsSync(saved)) return refuse(`${stack}: saved plan missing (${shownPath(options.root, saved)}): run \`npm run plan -- ${env}\``);
    copyFileSync(saved, planCopy(stack));
    chmodSync(planCopy(stack), 0o400);
    if (sha256(planCopy(stack)) !== metadata.sha256[stack]) return refuse(`${stack}: ${shownPath(options.root, saved)} is not the file the plan run saved: run \`npm run plan -- ${env}\``);
  }

  const tfEnv = terraformEnv(io.env);
  const stopped = (during: string) => {
    const signal = interrupts.signal!;
    log(`apply ${env}: interrupted (${signal}) ${during}; nothing was applied.`);
    return INTERRUPTED_EXIT[signal];
  };
  // Init every stack and review what each saved plan itself says (show -json of its verified copy),
  // stacks side by side as plan does (see stack-steps.ts). Nothing is applied before every review is in.
  const stepsOf = stackSteps(options.parallel ?? DEFAULT_PARALLEL, tfEnv, interrupts);
  type Reviewed = { stack: string; plan?: TerraformPlan; refusal?: string };
  const reviewStack = async (stack: string, i: number): Promise<Reviewed> => {
    const cwd = synthesized.stackDir(stack);
    const failure = (what: string, result: { status: number; output: string }) => explainFailure(stack, what, result, { env, dir: shownPath(options.root, cwd), host });
    const terraform = stepsOf(cwd, (what) => log(`[${i + 1}/${todo.length}] ${stack}: ${what}`));
    // The committed lock file, else the one the plan's init used: the providers the plan was made with.
    const lock = existsSync(committedLockFile(options.root, stack)) ? committedLockFile(options.root, stack) : planLockFile(dir, stack);
    const init = await terraform.init(lock);
    if (!init || interrupts.signal) return { stack };
    if (init.status !== 0) return { stack, refusal: failure('init', init) };
    const show = await terraform.run(`show -json ${shownPath(options.root, planFile(dir, stack))} (its verified copy)`, ['show', '-json', planCopy(stack)]);
    if (!show || interrupts.signal) return { stack };
    if (show.status !== 0) return { stack, refusal: failure('show -json', show) };
    let plan: TerraformPlan;
    try {
      plan = parsePlanJson(show.output, `${stack}: terraform show -json ${shownPath(options.root, planFile(dir, stack))}`);
    } catch (error) {
      if (error instanceof PlanInputError) return { stack, refusal: error.message };
      throw error;
    }
    const json = planJsonFile(dir, stack);
    if (existsSync(json) && readFileSync(json, 'utf8').trim() !== JSON.stringify(plan)) {
      io.error(`warning: ${stack}: ${shownPath(options.root, json)} is not what the saved plan says (edited?); the review below is of the saved plan itself`);
    }
    return { stack, plan };
  };
  // Every terraform has exited before this goes on, even when one review threw.
  const reviewed = await settleAll(todo.map((stack, i) => reviewStack(stack, i)));
  if (interrupts.signal) return stopped('while reviewing the plans');
  const refusals = reviewed.filter((r) => r.refusal !== undefined);
  // Every stack whose review failed, each said once, in the set's order.
  for (const r of refusals) refuse(r.refusal!);
  if (refusals.length > 0) return APPLY_EXIT.failed;
  const plans = reviewed.map((r) => ({ stack: r.stack, plan: r.plan! }));
  const review = reviewPlans(plans);
  logText(io, formatPlanText(review));
  if (review.dangers.length > 0 && !options.allowDestroy) {
    return refuse(`refusing: ${review.dangers.length} DANGER change(s) would destroy or replace stored data (listed above); nothing was applied. If this is intended, run again with --allow-destroy.`);
  }
  if (confirmOnTerminal) {
    const answer = (await options.prompt!(`${env} is a production environment. Type its name to apply the plans above: `)).trim();
    if (interrupts.signal) return stopped('at the confirmation');
    if (answer !== env) return refuse(`${JSON.stringify(answer)} is not ${env}: not confirmed; nothing was applied`, APPLY_EXIT.badInput);
  }

  const applied = [...metadata.applied];
  const save = (extra: Partial<PlanSetMetadata> = {}) => writeMetadata(dir, { ...metadata, applied, ...extra });
  // The stack and every stack of the set downstream of it that is not applied yet: their plans were
  // made with the outputs it had before this apply changed part of it.
  const inSet = new Set([...metadata.stacks, ...metadata.deferred]);
  const downstreamToApply = (stack: string) => dependents(synthesized.stacks, stack).filter((s) => inSet.has(s) && !applied.includes(s));
  // The set's stale plans with `added` (a stack's newer reason replaces its older one).
  const withStale = (added: PlanSetMetadata['stale']) => [...metadata.stale.filter((s) => !added.some((a) => a.stack === s.stack)), ...added];
  const staleWith = (stack: string, because: string) =>
    withStale([{ stack, because }, ...downstreamToApply(stack).map((s) => ({ stack: s, because: `it reads outputs of ${stack}, and ${because.replace(/^its /, `${stack}'s `)}` }))]);
  const summary = (from: number) => {
    const done = applied.filter((s) => !metadata.applied.includes(s));
    return `applied: ${done.length ? done.join(', ') : 'none'}; not applied: ${todo.slice(from).join(', ') || 'none'}`;
  };
  for (const [i, stack] of todo.entries()) {
    if (interrupts.signal) {
      save();
      log(`apply ${env}: interrupted (${interrupts.signal}) before ${stack}: ${summary(i)}.`);
      return INTERRUPTED_EXIT[interrupts.signal];
    }
    const cwd = synthesized.stackDir(stack);
    const step = (what: string) => log(`[${i + 1}/${todo.length}] ${stack}: ${what}`);
    step(`terraform apply ${shownPath(options.root, planFile(dir, stack))} (its verified copy)`);
    const errored = erroredStateMark(cwd);
    const result = await runTerraform(['apply', '-input=false', planCopy(stack)], { cwd, env: tfEnv, interrupts, onLine: (line) => log(`    ${line}`) });
    const erroredNow = result.status !== 0 ? erroredStateMark(cwd) : null;
    const lostState = erroredNow !== null && erroredNow !== errored;
    if (lostState) {
      const kept = keepErroredState(cwd, options.plansDir, env, stack);
      save({ stale: staleWith(stack, 'its apply could not save the state') });
      refuse(recoveryInstructions(env, stack, kept, shownPath(options.root, cwd)));
      log(`apply ${env}: failed in ${stack}, its state not saved: ${summary(i)} (${stack} partly).`);
      return interrupts.signal ? INTERRUPTED_EXIT[interrupts.signal] : APPLY_EXIT.failed;
    }
    if (interrupts.signal) {
      // Terraform stopped (or finished) after the forwarded signal. What it completed is in the state,
      // so an unfinished stack's saved plan no longer matches it.
      const finished = result.status === 0;
      if (finished) applied.push(stack);
      save(finished ? {} : { stale: staleWith(stack, 'its apply was interrupted') });
      const partly = finished ? '' : ` (${stack} partly: terraform stopped, exit ${result.status}; what it completed is in the state)`;
      log(`apply ${env}: interrupted (${interrupts.signal}): ${summary(finished ? i + 1 : i)}${partly}. Plan again before applying: \`npm run plan -- ${env}\`.`);
      return INTERRUPTED_EXIT[interrupts.signal];
    }
    if (result.status !== 0) {
      save();
      return refuse(explainFailure(stack, 'apply', result, { env, dir: shownPath(options.root, cwd), host }));
    }
    applied.push(stack);
    step('applied');

    const outputs = changedOutputs(plans.find((p) => p.stack === stack)!.plan);
    const stale = downstreamToApply(stack);
    if (outputs.length > 0 && stale.length > 0) {
      const named = outputs.length > 4 ? `${outputs.slice(0, 4).join(', ')} and ${outputs.length - 4} more` : outputs.join(', ');
      const because = `${stack} changed its outputs ${named}`;
      save({ stale: withStale(stale.map((s) => ({ stack: s, because }))) });
      log(`apply ${env}: applied ${applied.filter((s) => !metadata.applied.includes(s)).join(', ')}; stopped: ${because}, and ${stale.join(', ')} read them — their plans were made with the old values.`);
      io.error(`apply: plan again: \`npm run plan -- ${env}\` (stacks: ${stale.join(', ')}), review, then \`npm run apply -- ${env}\`.`);
      return APPLY_EXIT.planAgain;
    }
  }
  save();
  const notPlanned = metadata.deferred.length ? `; not planned in this set: ${metadata.deferred.join(', ')} (run \`npm run plan -- ${env}\`)` : '';
  log(`apply ${env}: applied ${todo.join(', ')}${notPlanned}${staleNote}.`);
  return metadata.deferred.length || skipped.length ? APPLY_EXIT.planAgain : APPLY_EXIT.ok;
}
