// The command lines of `npm run plan | apply | lock`: argv in, exit code out. scripts/ runs them on the
// process; tests run them in-process with a recording io and the stand-in terraform on io.env.PATH.
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { processIo, type CommandIo } from '../lib/command-io';
import { askOnTerminal } from '../lib/terminal';
import { apply } from './apply';
import type { SignalSource } from './interrupts';
import type { Host } from './terraform-errors';
import { PROJECT_ROOT } from './environment';
import { lock } from './lock';
import { plan } from './plan';

const USAGE = {
  plan: 'usage: npm run plan -- <env> [<stack>...] [--parallel <n>] [--synth-dir <cdktf output>] [--plans-dir plans] [--reports-dir reports]',
  apply: 'usage: npm run apply -- <env> [<stack>...] [--allow-destroy] [--allow-other-commit] [--allow-dirty-plan] [--yes] [--synth-dir <cdktf output>] [--plans-dir plans]',
  lock: 'usage: npm run lock [-- <env>...]',
} as const;

/** Options of every command. `--root` (the project: plans/, reports/, locks/, git) is for tests. */
const COMMON = { root: { type: 'string' }, 'synth-dir': { type: 'string' } } as const;
/** Options of the commands that work on a plan set. */
const PLAN_SET = { ...COMMON, 'plans-dir': { type: 'string' }, 'reports-dir': { type: 'string' } } as const;

type Parsed = { positionals: string[]; values: Record<string, string | boolean | undefined> };

/** argv parsed, or undefined after printing the usage (exit 2). */
function parse(command: keyof typeof USAGE, argv: string[], io: CommandIo, options: ParseArgsConfig['options']): Parsed | undefined {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options }) as Parsed;
  } catch (error) {
    io.error(`${command}: ${(error as Error).message}\n${USAGE[command]}`);
    return undefined;
  }
}

/** Where the command works: the project, its cdktf output and its plans/reports folders (default `plans/`, `reports/`). */
function paths(values: Parsed['values'], io: CommandIo) {
  const root = resolve(io.cwd, (values.root as string | undefined) ?? PROJECT_ROOT);
  return {
    root,
    outdir: resolve(root, io.env.CDKTF_OUTDIR ?? 'cdktf.out'),
    synthDir: values['synth-dir'] === undefined ? undefined : resolve(io.cwd, values['synth-dir'] as string),
    plansDir: resolve(root, (values['plans-dir'] as string | undefined) ?? 'plans'),
    reportsDir: resolve(root, (values['reports-dir'] as string | undefined) ?? 'reports'),
  };
}

/**
 * What the CLIs add on a real process: SIGINT/SIGTERM relayed to terraform, and a terminal prompt when
 * stdin and stdout are one. Tests pass their own (an EventEmitter, a scripted answer).
 */
export interface ProcessHooks {
  readonly signals?: SignalSource;
  /** @default thisHost() */
  readonly host?: Host;
  readonly prompt?: (question: string) => Promise<string>;
  /** The clock of the signal relay. @default Date.now */
  readonly now?: () => number;
}

function processHooks(): ProcessHooks {
  // ctrl-C or end of input at the question: no answer, which is not the environment's name.
  const prompt = async (question: string) => {
    const answer = await askOnTerminal(process.stdin, process.stdout, question);
    if (answer === null) process.stdout.write('\n');
    return answer ?? '';
  };
  return { signals: process, prompt: process.stdin.isTTY && process.stdout.isTTY ? prompt : undefined };
}

/** `npm run plan -- <env> [<stack>...]`: see src/terraform/plan.ts. */
export async function planCommand(argv: string[], io: CommandIo = processIo(), hooks: ProcessHooks = processHooks()): Promise<number> {
  const parsed = parse('plan', argv, io, { ...PLAN_SET, parallel: { type: 'string' } });
  if (!parsed) return 2;
  const [env, ...stacks] = parsed.positionals;
  let parallel: number | undefined;
  if (parsed.values.parallel !== undefined) {
    parallel = Number(parsed.values.parallel);
    if (!/^[1-9][0-9]*$/.test(parsed.values.parallel as string)) {
      io.error(`plan: --parallel: expected a whole number of terraform processes >= 1, got ${JSON.stringify(parsed.values.parallel)}\n${USAGE.plan}`);
      return 2;
    }
  }
  return plan({ ...paths(parsed.values, io), env, stacks, io, signals: hooks.signals, host: hooks.host, now: hooks.now, parallel });
}

/**
 * `npm run apply -- <env> [<stack>...] [--allow-destroy] [--allow-other-commit] [--allow-dirty-plan] [--yes]`:
 * see src/terraform/apply.ts.
 */
export async function applyCommand(argv: string[], io: CommandIo = processIo(), hooks: ProcessHooks = processHooks()): Promise<number> {
  const flag = { type: 'boolean', default: false } as const;
  const parsed = parse('apply', argv, io, { ...PLAN_SET, 'allow-destroy': flag, 'allow-other-commit': flag, 'allow-dirty-plan': flag, yes: flag });
  if (!parsed) return 2;
  const [env, ...stacks] = parsed.positionals;
  return apply({
    ...paths(parsed.values, io),
    env,
    stacks,
    allowDestroy: parsed.values['allow-destroy'] as boolean,
    allowOtherCommit: parsed.values['allow-other-commit'] as boolean,
    allowDirtyPlan: parsed.values['allow-dirty-plan'] as boolean,
    yes: parsed.values.yes as boolean,
    io,
    signals: hooks.signals,
    host: hooks.host,
    now: hooks.now,
    prompt: hooks.prompt,
  });
}

/** `npm run lock [-- <env>...]`: see src/terraform/lock.ts. */
export async function lockCommand(argv: string[], io: CommandIo = processIo()): Promise<number> {
  const parsed = parse('lock', argv, io, COMMON);
  if (!parsed) return 2;
  const { root, outdir, synthDir } = paths(parsed.values, io);
  return lock({ root, envs: parsed.positionals, outdir, synthDir, io });
}
