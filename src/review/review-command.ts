// `npm run review -- [--base <git ref>] [--allow-destroy] [--out reports]`: synthesizes the base
// (default: merge base with main) and the working tree, and prints per stack what the change adds,
// removes, moves and changes, flagging DANGER where stored data would be destroyed or replaced.
// Writes review.md (for a PR comment) and review.json. Exits 1 on DANGER unless --allow-destroy.
// `npm run review -- --plan <file|dir>` instead reviews Terraform's plan JSON (`terraform show -json`
// of saved plans, e.g. plans/<env>/): plan-review.md and plan-review.json; exit 2 for unusable input.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { logText, processIo, type CommandIo } from '../lib/command-io';
import { readSynthOutput, synthesizeInBackground, SynthError } from '../synth-output';
import { formatMarkdown, formatText, reviewStacks } from './plan-review';
import { PlanInputError, readPlanJsons } from './terraform-plan';
import { formatPlanJson, formatPlanMarkdown, formatPlanText, reviewPlans } from './terraform-plan-review';

const USAGE = 'usage: npm run review -- [--base <git ref>] | --plan <file|dir>  [--allow-destroy] [--out reports]';
/** This checkout: what is compared with its base. */
const PROJECT_ROOT = resolve(__dirname, '..', '..');

const git = (root: string, ...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

function baseRef(root: string, requested?: string): string {
  if (requested) {
    try {
      return git(root, 'rev-parse', '--verify', `${requested}^{commit}`);
    } catch {
      throw new Error(`--base ${requested}: not a commit of this repository`);
    }
  }
  for (const main of ['main', 'origin/main']) {
    try {
      return git(root, 'merge-base', 'HEAD', main);
    } catch {
      // try the next candidate
    }
  }
  throw new Error('no main branch to compare with: pass --base <git ref>');
}

/** Synthesizes `ref` in a temporary worktree that borrows this checkout's node_modules. */
async function synthesizeAt(root: string, ref: string, env: NodeJS.ProcessEnv): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'review-base-'));
  git(root, 'worktree', 'add', '--detach', dir, ref);
  try {
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    return await synthesizeInBackground(dir, env);
  } finally {
    git(root, 'worktree', 'remove', '--force', dir);
  }
}

/** The Terraform plan-JSON review: what the saved plans will do. */
function reviewSavedPlans(path: string, outDir: string, allowDestroy: boolean, io: CommandIo): number {
  let plans;
  try {
    plans = readPlanJsons(path);
  } catch (error) {
    if (!(error instanceof PlanInputError)) throw error;
    io.error(`review: ${error.message}`);
    return 2;
  }
  const review = reviewPlans(plans);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'plan-review.md'), formatPlanMarkdown(review));
  writeFileSync(join(outDir, 'plan-review.json'), formatPlanJson(review));
  logText(io, formatPlanText(review));
  io.log(`Markdown: ${join(outDir, 'plan-review.md')}, JSON: ${join(outDir, 'plan-review.json')}`);
  if (review.dangers.length > 0 && !allowDestroy) {
    io.error(`\nreview: ${review.dangers.length} DANGER change(s) would destroy or replace stored data. Pass --allow-destroy if it is intended.`);
    return 1;
  }
  return 0;
}

/** `npm run review` on `argv`; resolves to the exit code. */
export async function reviewCommand(argv: string[], io: CommandIo = processIo(), root = PROJECT_ROOT): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        base: { type: 'string' },
        plan: { type: 'string' },
        'allow-destroy': { type: 'boolean', default: false },
        out: { type: 'string', default: 'reports' },
      },
    }));
  } catch (error) {
    io.error(`review: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const outDir = resolve(root, values.out!);
  if (values.plan !== undefined) return reviewSavedPlans(resolve(io.cwd, values.plan), outDir, values['allow-destroy']!, io);
  let base: string;
  let baseOut: string;
  let headOut: string;
  try {
    base = baseRef(root, values.base);
    // Both synths at once (two processes): the review takes one synth's time, not two.
    const results = await Promise.allSettled([synthesizeAt(root, base, io.env), synthesizeInBackground(root, io.env)]);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      for (const result of results) if (result.status === 'fulfilled') rmSync(result.value, { recursive: true, force: true });
      throw failed.reason;
    }
    [baseOut, headOut] = results.map((result) => (result as PromiseFulfilledResult<string>).value);
  } catch (error) {
    const message = error instanceof SynthError ? `synth failed:\n${error.message}` : (error as Error).message;
    io.error(`review: ${message}`);
    return 2;
  }
  const review = reviewStacks(readSynthOutput(baseOut), readSynthOutput(headOut));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'review.md'), formatMarkdown(review));
  writeFileSync(join(outDir, 'review.json'), `${JSON.stringify({ base, ...review }, null, 2)}\n`);
  rmSync(baseOut, { recursive: true, force: true });
  rmSync(headOut, { recursive: true, force: true });

  io.log(`Compared with ${base.slice(0, 12)}\n`);
  logText(io, formatText(review));
  io.log(`Markdown: ${join(values.out!, 'review.md')}, JSON: ${join(values.out!, 'review.json')}`);
  if (review.dangers.length > 0 && !values['allow-destroy']) {
    io.error(`\nreview: ${review.dangers.length} DANGER change(s) would destroy or replace stored data. Use a move (moveTo / moveFromId) for a rename, or pass --allow-destroy if it is intended.`);
    return 1;
  }
  return 0;
}
