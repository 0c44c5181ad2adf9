// `npm run apply -- <env> [<stack>...]`: apply the saved plans of plans/<env>/ in dependency order with
// `terraform apply <saved plan>`. Never plans; refuses before applying anything when a plan is missing,
// altered, from another environment or commit, or when the set has a DANGER without --allow-destroy.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logText } from '../lib/command-io';
import { parsePlanJson, PlanInputError, type TerraformPlan } from '../review/terraform-plan';
import { formatPlanText, reviewPlans } from '../review/terraform-plan-review';
import { SynthError } from '../synth-output';
import { synthesizeEnvironment } from './environment';
import { committedLockFile, prepareLockFile } from './lock-files';
import { changedOutputs, type CommandOptions } from './plan';
import { gitState, shownPath, withPlanSetLock, planFile, planJsonFile, planLockFile, readMetadata, sha256, writeMetadata, type PlanSetMetadata } from './plan-set';
import { dependencyOrder, dependents, UsageError } from './stack-selection';
import { runTerraform, terraformEnv, terraformError } from './terraform';

export interface ApplyOptions extends CommandOptions {
  readonly allowDestroy: boolean;
  /**
   * Apply plans made from another commit. The saved plans carry their own configuration and Terraform
   * still refuses one whose state changed; this only waives the check that the checkout matches.
   */
  readonly allowOtherCommit?: boolean;
}

/** Exit codes of apply. */
export const APPLY_EXIT = { ok: 0, failed: 1, badInput: 2, planAgain: 3 } as const;

/**
 * 0 all applied; 1 refused or terraform failed; 2 bad input; 3 applied an upstream stack whose outputs
 * changed, so the downstream plans of the set are stale: plan again.
 */
export async function apply(options: ApplyOptions): Promise<number> {
  return withPlanSetLock('apply', options.plansDir, options.env, options.io, (env) => applyUnlocked(options, env));
}

async function applyUnlocked(options: ApplyOptions, env: string): Promise<number> {
  const { io } = options;
  const log = io.log;
  const refuse = (line: string, code: number = APPLY_EXIT.failed) => {
    io.error(`apply: ${line}`);
    return code;
  };
  const dir = join(options.plansDir, env);
  const shown = shownPath(options.root, dir) || dir;
  const metadata = readMetadata(dir);
  if (!metadata) return refuse(`no saved plans for ${env} in ${shown}: run \`npm run plan -- ${env}\` first`);
  if (metadata.env !== env) return refuse(`${shown} holds plans of environment ${metadata.env}, not ${env}: run \`npm run plan -- ${env}\``);
  const git = gitState(options.root);
  if (metadata.commit !== git.commit && options.allowOtherCommit) {
    io.error(`warning: ${env}: the plans were made from commit ${metadata.commit ?? '(none)'}, this checkout is ${git.commit ?? '(not a git checkout)'}; applying the saved plans as they are (--allow-other-commit)`);
  } else if (metadata.commit !== git.commit) {
    return refuse(`the plans in ${shown} were made from commit ${metadata.commit ?? '(none)'}, this checkout is ${git.commit ?? '(not a git checkout)'}: check out that commit, plan again (\`npm run plan -- ${env}\`), or pass --allow-other-commit`);
  }
  if (metadata.dirty) io.error(`warning: ${env}: the plans were made from uncommitted changes on top of ${metadata.commit?.slice(0, 12)}; what is applied is what the saved plans say`);
  else if (git.dirty) io.error(`warning: ${env}: this checkout has uncommitted changes; they are not applied (the saved plans are)`);
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
  const todo = selected.filter((s) => !metadata.applied.includes(s) && !metadata.stale.some((x) => x.stack === s));
  for (const s of selected.filter((x) => metadata.applied.includes(x))) log(`${s}: already applied from this set, skipped`);
  if (todo.length === 0) return refuse(`nothing left to apply in ${shown}: run \`npm run plan -- ${env}\``);

  // Every saved plan must be there, unaltered, and readable, before anything is applied.
  const plans: Array<{ stack: string; plan: TerraformPlan }> = [];
  for (const stack of todo) {
    const saved = planFile(dir, stack);
    if (!existsSync(saved) || !existsSync(planJsonFile(dir, stack))) return refuse(`${stack}: saved plan missing (${shownPath(options.root, saved)}): run \`npm run plan -- ${env}\``);
    if (sha256(saved) !== metadata.sha256[stack]) return refuse(`${stack}: ${shownPath(options.root, saved)} is not the file the plan run saved: run \`npm run plan -- ${env}\``);
    try {
      plans.push({ stack, plan: parsePlanJson(readFileSync(planJsonFile(dir, stack), 'utf8'), planJsonFile(dir, stack)) });
    } catch (error) {
      if (error instanceof PlanInputError) return refuse(error.message, APPLY_EXIT.badInput);
      throw error;
    }
  }
  const review = reviewPlans(plans);
  logText(io, formatPlanText(review));
  if (review.dangers.length > 0 && !options.allowDestroy) {
    return refuse(`refusing: ${review.dangers.length} DANGER change(s) would destroy or replace stored data (listed above); nothing was applied. If this is intended, run again with --allow-destroy.`);
  }

  log(`apply ${env}: synthesizing ${env} for the working directories`);
  let synthesized;
  try {
    synthesized = synthesizeEnvironment(env, options.outdir, options.synthDir, io.env);
  } catch (error) {
    if (error instanceof SynthError) return refuse(`synth failed:\n${error.message}`);
    if (error instanceof UsageError) return refuse(error.message, APPLY_EXIT.badInput);
    throw error;
  }
  const missing = todo.filter((s) => !synthesized.stacks.some((x) => x.name === s));
  if (missing.length) return refuse(`${missing.join(', ')}: not in the synthesized output of this checkout`);
  const order = dependencyOrder(synthesized.stacks);
  todo.sort((a, b) => order.indexOf(a) - order.indexOf(b));

  const tfEnv = terraformEnv(io.env);
  const applied = [...metadata.applied];
  const save = (extra: Partial<PlanSetMetadata> = {}) => writeMetadata(dir, { ...metadata, applied, ...extra });
  for (const [i, stack] of todo.entries()) {
    const cwd = synthesized.stackDir(stack);
    const step = (what: string) => log(`[${i + 1}/${todo.length}] ${stack}: ${what}`);
    step('terraform init');
    // The committed lock file, else the one the plan's init used: the providers the plan was made with.
    const lock = existsSync(committedLockFile(options.root, stack)) ? committedLockFile(options.root, stack) : planLockFile(dir, stack);
    const init = await runTerraform(['init', '-input=false', '-reconfigure', ...prepareLockFile(cwd, lock)], { cwd, env: tfEnv });
    if (init.status !== 0) return refuse(`${stack}: terraform init failed (exit ${init.status}):\n${terraformError(init.output)}`);
    step(`terraform apply ${shownPath(options.root, planFile(dir, stack))}`);
    const result = await runTerraform(['apply', '-input=false', planFile(dir, stack)], { cwd, env: tfEnv, onLine: (line) => log(`    ${line}`) });
    if (result.status !== 0) {
      const stale = /saved plan is stale/i.test(result.output) ? ' The saved plan is stale: the state changed since it was made. Run `npm run plan -- ' + env + '` again.' : '';
      save();
      return refuse(`${stack}: terraform apply failed (exit ${result.status}).${stale}\n${terraformError(result.output)}`);
    }
    applied.push(stack);
    step('applied');

    const outputs = changedOutputs(plans.find((p) => p.stack === stack)!.plan);
    const inSet = new Set([...metadata.stacks, ...metadata.deferred]);
    const stale = dependents(synthesized.stacks, stack).filter((s) => inSet.has(s) && !applied.includes(s));
    if (outputs.length > 0 && stale.length > 0) {
      const named = outputs.length > 4 ? `${outputs.slice(0, 4).join(', ')} and ${outputs.length - 4} more` : outputs.join(', ');
      const because = `${stack} changed its outputs ${named}`;
      save({ stale: [...metadata.stale, ...stale.map((s) => ({ stack: s, because }))] });
      log(`apply ${env}: applied ${applied.filter((s) => !metadata.applied.includes(s)).join(', ')}; stopped: ${because}, and ${stale.join(', ')} read them — their plans were made with the old values.`);
      io.error(`apply: plan again: \`npm run plan -- ${env}\` (stacks: ${stale.join(', ')}), review, then \`npm run apply -- ${env}\`.`);
      return APPLY_EXIT.planAgain;
    }
  }
  save();
  const notPlanned = metadata.deferred.length ? `; not planned in this set: ${metadata.deferred.join(', ')} (run \`npm run plan -- ${env}\`)` : '';
  log(`apply ${env}: applied ${todo.join(', ')}${notPlanned}.`);
  return metadata.deferred.length ? APPLY_EXIT.planAgain : APPLY_EXIT.ok;
}
