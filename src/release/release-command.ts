// `npm run release -- <env> <service> <image>` | `--rollback` | `--status`
// Ships an image that exists in ECR (pinned by digest) to one service: migrations first, then a
// rolling or ECS-native blue/green rollout, waited for (blue/green: until production traffic is on
// green and the bake runs, or to the end with --wait-bake), then the release record.
// Exit codes: 0 released (blue/green: baking), 1 the release failed (the verdict says what moved),
// 2 bad input (no AWS call), 4 a wait ended without an outcome (deadline, AWS errors, SIGINT/SIGTERM).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { environments, project } from '../config/environments';
import { processIo, type CommandIo } from '../lib/command-io';
import { createClients, type ReleaseClients } from './clients';
import { InputError, ReleaseFailed, RolledBack, WaitEnded } from './errors';
import { productionGate, terminalConfirm, type Confirm } from './gate';
import { parseReleaseArgs, USAGE, type ReleaseRequest } from './input';
import type { ReleaseEntry } from './record';
import { Release, type Timing } from './release';

/** What tests replace: AWS, the clock, the signals and the terminal. */
export interface ReleaseCommandDeps {
  readonly clients?: (region: string) => ReleaseClients;
  readonly timing?: Timing;
  /** Where SIGINT/SIGTERM arrive. @default process */
  readonly signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  readonly confirm?: Confirm;
  /** Seconds between polls. @default 15 */
  readonly pollSeconds?: number;
}

/** What `--json-out` writes for pipelines. */
export interface ReleaseJson {
  readonly env: string;
  readonly service: string;
  readonly tag: string | null;
  readonly digest: string | null;
  readonly image: string | null;
  readonly taskDefinitionArn: string | null;
  /** released | baking | failed | rolled-back | wait-ended | nothing-pending */
  readonly outcome: string;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** `npm run release` on `argv`; returns the exit code. AWS credentials come from the SDK's standard chain. */
export async function releaseCommand(argv: string[], io: CommandIo = processIo(), deps: ReleaseCommandDeps = {}): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.log(USAGE);
    return 0;
  }
  let request: ReleaseRequest;
  try {
    request = parseReleaseArgs(argv, project, environments);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    for (const line of error.problems) io.error(`release: ${line}`);
    return 2;
  }
  const refused = await productionGate(request, io.env, deps.confirm ?? terminalConfirm);
  if (refused) {
    io.error(`release: ${refused}`);
    return 2;
  }

  // SIGINT/SIGTERM abort the calls and waits in flight; the release then says where things stand.
  const interrupt = new AbortController();
  const signals = deps.signals ?? process;
  const onSignal = (name: string) => () => {
    if (!interrupt.signal.aborted) io.error(`release: ${name} received: stopping the wait (ECS carries on)`);
    interrupt.abort(name);
  };
  const handlers = SIGNALS.map((name) => [name, onSignal(name)] as const);
  for (const [name, handler] of handlers) signals.on(name, handler);

  const time = () => new Date().toISOString().slice(11, 19);
  const release = new Release({
    clients: (deps.clients ?? createClients)(request.env.region),
    log: { info: (line) => io.log(`${time()} ${line}`), error: (line) => io.error(`${time()} ${line}`) },
    signal: interrupt.signal,
    ...(deps.timing ? { timing: deps.timing } : {}),
    ...(deps.pollSeconds !== undefined ? { pollSeconds: deps.pollSeconds } : {}),
  });
  let code: number;
  let json: Omit<ReleaseJson, 'env' | 'service'>;
  try {
    if (request.target.kind === 'status') {
      const status = await release.status(request);
      json = { ...fields(status.entry), outcome: status.outcome };
      code = status.outcome === 'rolled-back' ? 1 : 0;
    } else {
      const result = await release.run(request);
      json = { ...fields(result.entry), outcome: result.outcome };
      code = 0;
    }
  } catch (error) {
    if (!(error instanceof ReleaseFailed)) throw error;
    // The verdict is printed.
    code = error instanceof WaitEnded ? 4 : 1;
    json = { ...fields(error instanceof WaitEnded ? (error.entry ?? null) : null), outcome: error instanceof WaitEnded ? 'wait-ended' : error instanceof RolledBack ? 'rolled-back' : 'failed' };
  } finally {
    for (const [name, handler] of handlers) signals.off(name, handler);
  }
  if (request.jsonOut) {
    const path = resolve(io.cwd, request.jsonOut);
    try {
      writeFileSync(path, `${JSON.stringify({ env: request.env.name, service: request.service.name, ...json }, null, 2)}\n`);
    } catch (error) {
      io.error(`release: could not write --json-out ${path}: ${(error as Error).message}`);
      return code === 0 ? 1 : code;
    }
  }
  return code;
}

function fields(entry: ReleaseEntry | null): Omit<ReleaseJson, 'env' | 'service' | 'outcome'> {
  return { tag: entry?.tag ?? null, digest: entry?.digest ?? null, image: entry?.image ?? null, taskDefinitionArn: entry?.taskDefinitionArn ?? null };
}
