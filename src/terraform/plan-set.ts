// The saved plans of one environment, `plans/<env>/`: per stack the binary plan (`<stack>.tfplan`,
// what `terraform apply` runs), its JSON (`<stack>.json`, what the review reads) and the provider lock
// file init used (`<stack>.terraform.lock.hcl`), plus `metadata.json` tying the set to its environment
// and commit. Saved plans hold secrets in clear: the folder is git-ignored, CI keeps it briefly.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import type { CommandIo } from '../lib/command-io';
import { checkEnvironment } from './environment';
import { UsageError } from './stack-selection';

export interface PlanSetMetadata {
  readonly env: string;
  /** Stacks with a saved plan, in dependency order. */
  readonly stacks: string[];
  /** Stacks that could not be planned until an upstream stack of this set is applied. */
  readonly deferred: string[];
  /** The commit the plans were made from (null outside git). */
  readonly commit: string | null;
  /** Whether files that shape the synthesis (SYNTH_INPUTS) differed from that commit, and which. */
  readonly dirty: boolean;
  readonly dirtyFiles?: string[];
  readonly createdAt: string;
  /** sha256 of each saved plan: apply runs only these exact files. */
  readonly sha256: Record<string, string>;
  /** Filled in by apply: stacks applied from this set, and those whose plans an apply made stale. */
  readonly applied: string[];
  readonly stale: Array<{ stack: string; because: string }>;
}

export const planFile = (dir: string, stack: string) => join(dir, `${stack}.tfplan`);
export const planJsonFile = (dir: string, stack: string) => join(dir, `${stack}.json`);
export const planLockFile = (dir: string, stack: string) => join(dir, `${stack}.terraform.lock.hcl`);
const metadataFile = (dir: string) => join(dir, 'metadata.json');

/** Empties `dir`: no plan of an earlier run survives to be applied by mistake. */
export function resetPlanDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function writeMetadata(dir: string, metadata: PlanSetMetadata): void {
  writeFileSync(metadataFile(dir), `${JSON.stringify(metadata, null, 2)}\n`);
}

/** What `npm run plan` writes to metadata.json (and apply updates); anything else is refused. */
const STACK = z.string().regex(/^[a-z0-9-]+$/);
const METADATA = z.strictObject({
  env: z.string(),
  stacks: z.array(STACK),
  deferred: z.array(STACK),
  commit: z.string().regex(/^[0-9a-f]{40,64}$/).nullable(),
  dirty: z.boolean(),
  dirtyFiles: z.array(z.string()).optional(),
  createdAt: z.string(),
  sha256: z.record(STACK, z.string().regex(/^[0-9a-f]{64}$/)),
  applied: z.array(STACK),
  stale: z.array(z.strictObject({ stack: STACK, because: z.string() })),
});

/** A metadata.json that is not what plan wrote (damaged, edited, of another version): plan again. */
export class PlanSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanSetError';
  }
}

/**
 * The set's metadata, or undefined when there is no complete set in `dir`; throws PlanSetError (one
 * line, shown as `dirShown`) when the file is not what `npm run plan` writes.
 */
export function readMetadata(dir: string, dirShown: string = dir): PlanSetMetadata | undefined {
  if (!existsSync(metadataFile(dir))) return undefined;
  const bad = (what: string) => new PlanSetError(`plan set ${dirShown}: metadata.json is not what \`npm run plan\` writes (${what}): plan again`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(metadataFile(dir), 'utf8'));
  } catch (error) {
    throw bad(`not JSON: ${(error as Error).message}`);
  }
  const parsed = METADATA.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad(`${issue.path.length ? issue.path.join('.') : 'the file'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * What the synthesized stacks are made from: the app and its code, its configuration, the provider
 * bindings and lock files, the dependencies and the loader. A change elsewhere (README, tests, reports)
 * cannot change a plan.
 */
const SYNTH_INPUTS = ['main.ts', 'src', 'cdktf.json', 'package.json', 'package-lock.json', 'tsconfig.json', 'schema', 'locks', 'scripts/ts-register.cjs'];

/** Git is there and this is a checkout, but git cannot say what is checked out (e.g. "dubious ownership"). */
export class GitStateError extends Error {}

/**
 * The checked-out commit and the uncommitted changes (tracked, and untracked files git does not
 * ignore) to the synthesis inputs, as `git status --porcelain` lines (`M src/x.ts`, `?? src/new.ts`).
 * One git process: porcelain v2 with `--branch` carries the commit (`# branch.oid`) too. Outside a git
 * checkout (or without git at all, as a CI checkout by download is) the commit is null. Any other git
 * failure throws GitStateError: taking it for "no checkout" would turn off the commit match and the
 * dirty-plan guard of apply without a word.
 */
export function gitState(root: string): { commit: string | null; dirty: boolean; dirtyFiles: string[] } {
  const outside = { commit: null, dirty: false, dirtyFiles: [] };
  let status: string;
  try {
    status = execFileSync('git', ['status', '--porcelain=v2', '--branch', '--no-ahead-behind', '--untracked-files=all', '--', ...SYNTH_INPUTS], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || /not a git repository/i.test(stderr)) return outside;
    throw new GitStateError(`git cannot read the checkout ${root}: ${stderr.split('\n').find((line) => /^(fatal|error):/.test(line)) ?? (stderr || (error as Error).message)}`);
  }
  const lines = status.split('\n').filter((line) => line.trim() !== '');
  const commit = lines.find((line) => line.startsWith('# branch.oid '))?.slice('# branch.oid '.length);
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return outside; // no commit yet: "(initial)"
  const dirtyFiles = lines.filter((line) => !line.startsWith('#')).map(porcelainV1);
  return { commit, dirty: dirtyFiles.length > 0, dirtyFiles };
}

/**
 * A porcelain v2 entry as `git status --short` shows it: `M src/x.ts`, `R src/old.ts -> src/new.ts`,
 * `?? src/new.ts` (names quoted only as core.quotePath does: not for spaces).
 * v2 fields: `1 XY sub mH mI mW hH hI path`, `2 XY sub mH mI mW hH hI Xscore path<TAB>orig`,
 * `u XY sub m1 m2 m3 mW h1 h2 h3 path`, `? path` (git-scm.com/docs/git-status, "Porcelain Format Version 2").
 */
function porcelainV1(line: string): string {
  if (line.startsWith('? ')) return `?? ${line.slice(2)}`;
  const fields = line.split(' ');
  const before = { '1': 8, '2': 9, u: 10 }[fields[0]] ?? 1;
  const [path, orig] = fields.slice(before).join(' ').split('\t');
  return `${fields[1].replace(/\./g, '')} ${orig === undefined ? path : `${orig} -> ${path}`}`;
}

/**
 * Where apply keeps the state terraform could not save (`errored.tfstate`), per stack, out of reach of
 * synth (which rewrites cdktf.out) and of plan (which empties plans/<env>/). Plan and apply of the
 * environment refuse while one is there: applying over a lost state would fork it.
 */
export const recoveryDir = (plansDir: string, env: string) => join(plansDir, `${env}.recovery`);
export const recoveryFile = (plansDir: string, env: string, stack: string) => join(recoveryDir(plansDir, env), `${stack}.errored.tfstate`);

/** The stacks with a kept errored state waiting to be pushed. */
export function pendingRecovery(plansDir: string, env: string): string[] {
  const dir = recoveryDir(plansDir, env);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.errored.tfstate'))
    .map((f) => f.slice(0, -'.errored.tfstate'.length));
}

/**
 * Holds `<plansDir>/<env>.lock` while a plan or apply of the environment runs in this checkout, so two
 * runs never write or apply the same saved plans at once. A lock whose process is gone is taken over.
 * Returns the release function, or the pid of the run that holds it.
 */
export function lockPlanSet(plansDir: string, env: string): { release: () => void } | { heldBy: number } {
  mkdirSync(plansDir, { recursive: true });
  const file = join(plansDir, `${env}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => rmSync(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid && isAlive(pid)) return { heldBy: pid };
      rmSync(file, { force: true });
    }
  }
  return { heldBy: -1 };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A path for messages: relative to the project when inside it, else absolute. */
export function shownPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/**
 * Runs `body` for a defined environment, holding its plan-set lock. Refuses an environment the
 * configuration does not define (exit 2, nothing written), and any run while another holds the lock (exit 1).
 */
export async function withPlanSetLock(command: string, plansDir: string, requested: string | undefined, io: CommandIo, body: (env: string) => Promise<number>): Promise<number> {
  let env: string;
  try {
    env = checkEnvironment(requested);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.error(`${command}: ${error.message}`);
    return 2;
  }
  const lock = lockPlanSet(plansDir, env);
  if ('heldBy' in lock) {
    io.error(`${command}: another plan or apply of ${env} is running in this checkout (pid ${lock.heldBy}); wait for it to finish`);
    return 1;
  }
  try {
    return await body(env);
  } finally {
    lock.release();
  }
}
